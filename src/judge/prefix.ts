// Common response prefix (Heretic 1.4): when every response starts the same way ("<think>\n",
// "Sure, here"), that prefix is appended to every prompt so judging starts where responses
// differ; a chain-of-thought opener is replaced by a closed empty block so judging starts at
// the answer rather than inside the reasoning.

/** (opener as the model writes it, the closed empty block that skips the reasoning) */
export interface ChainOfThoughtSkip {
  opener: string;
  closed: string;
}

/** The forms Heretic handles: most thinking models, gpt-oss's channels, and two user reports. */
export const CHAIN_OF_THOUGHT_SKIPS: readonly ChainOfThoughtSkip[] = [
  { opener: '<think>', closed: '<think></think>' },
  {
    opener: '<|channel|>analysis<|message|>',
    closed: '<|channel|>analysis<|message|><|end|><|start|>assistant<|channel|>final<|message|>',
  },
  { opener: '<thought>', closed: '<thought></thought>' },
  { opener: '[THINK]', closed: '[THINK][/THINK]' },
];

/**
 * Longest common character prefix of the responses, without trailing spaces: responses that
 * continue with different tokens which all start with a space would otherwise leave a prefix
 * ending in a space, which tokenizes unlike anything the model writes.
 */
export function commonResponsePrefix(responses: readonly string[]): string {
  if (responses.length === 0) return '';
  let end = responses[0].length;
  for (const r of responses) {
    end = Math.min(end, r.length);
    let i = 0;
    while (i < end && r.charCodeAt(i) === responses[0].charCodeAt(i)) i++;
    end = i;
  }
  // Never cut a surrogate pair in half.
  if (end > 0 && /[\ud800-\udbff]/.test(responses[0][end - 1])) end--;
  return responses[0].slice(0, end).replace(/ +$/, '');
}

/** The closed block for a prefix that opens a chain of thought, or null. */
export function closedChainOfThought(
  prefix: string,
  skips: readonly ChainOfThoughtSkip[] = CHAIN_OF_THOUGHT_SKIPS,
): ChainOfThoughtSkip | null {
  return skips.find((s) => prefix.startsWith(s.opener)) ?? null;
}

export interface ResponsePrefixResult {
  /** text to append after the generation prompt ('' when responses share nothing) */
  prefix: string;
  /** the chain-of-thought form that was closed, if any */
  closedChainOfThought: ChainOfThoughtSkip | null;
}

/**
 * Heretic's procedure: generate responses, take their common prefix; if it opens a chain of
 * thought, replace it by the closed block and generate again with that block appended, since the
 * answer after the block may itself start the same way (a newline, say) and extend the prefix.
 * `generate(prefix)` returns responses to the probe prompts with `prefix` appended to each.
 */
export async function findResponsePrefix(
  generate: (prefix: string) => Promise<string[]>,
  skips: readonly ChainOfThoughtSkip[] = CHAIN_OF_THOUGHT_SKIPS,
): Promise<ResponsePrefixResult> {
  const prefix = commonResponsePrefix(await generate(''));
  const skip = prefix === '' ? null : closedChainOfThought(prefix, skips);
  if (skip === null) return { prefix, closedChainOfThought: null };
  const extension = commonResponsePrefix(await generate(skip.closed));
  return { prefix: skip.closed + extension, closedChainOfThought: skip };
}

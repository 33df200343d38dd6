// Text pairs → token ids the way lm-evaluation-harness's HF model encodes them: trailing spaces of
// the context move to the continuation, the whole string is encoded once and split at the
// context's token count (the context itself encoded alone, as the harness feeds it), no special
// tokens; an empty context becomes the prefix token (BOS, else EOS).

import type { ChatTokenizer } from '../tokenize/tokenizer.js';

export interface EncodedPair {
  context: number[];
  continuation: number[];
}

/** The harness's prefix token for empty contexts: BOS, else EOS. */
export function prefixTokenId(tokenizer: ChatTokenizer, eosTokenIds: readonly number[]): number {
  const bos = tokenizer.specialTokens.bos_token;
  const id = bos === undefined ? undefined : tokenizer.tokenToId(bos);
  if (id !== undefined) return id;
  if (eosTokenIds.length === 0) {
    throw new Error(
      'the tokenizer has no bos_token and the model no eos id; give the task a context',
    );
  }
  return eosTokenIds[0];
}

export function encodePair(
  tokenizer: ChatTokenizer,
  context: string,
  continuation: string,
  prefixToken: number,
): EncodedPair {
  const trimmed = context.trimEnd();
  const moved = context.slice(trimmed.length) + continuation;
  const plain = { addSpecialTokens: false };
  if (trimmed === '')
    return { context: [prefixToken], continuation: tokenizer.encode(moved, plain) };
  const whole = tokenizer.encode(trimmed + moved, plain);
  const contextIds = tokenizer.encode(trimmed, plain);
  return { context: contextIds, continuation: whole.slice(contextIds.length) };
}

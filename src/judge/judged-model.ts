// The passes `evaluate` and `detect` run on a loaded model: the chat encoding whose response
// prefix is found as the run finds it, and full greedy responses, with an optional plan.

import type { RuntimeAblation } from '../ablate/plan.js';
import type { Engine } from '../engine/engine.js';
import type { AblationChoice } from '../engine/types.js';
import { PromptEncoder } from '../run/prompts.js';
import type { ChatTokenizer } from '../tokenize/tokenizer.js';
import { findResponsePrefix } from './prefix.js';

export interface Responses {
  /** generated token ids per prompt, without the final EOS */
  ids: number[][];
  /** decoded without special tokens, as the judges read them */
  texts: string[];
}

export interface ResponseOptions {
  maxNewTokens: number;
  batchSize?: number;
  /** the compiled plan to apply; null: the model as it is */
  ablation: RuntimeAblation | null;
}

export function ablationChoice(ablation: RuntimeAblation | null): AblationChoice | undefined {
  return ablation ? { ablation } : undefined;
}

/**
 * Full greedy responses. No early exit: the categories and quality metrics read whole answers,
 * and the marker verdicts are the same as with the run's exact early exit.
 */
export async function greedyResponses(
  engine: Engine,
  tokenizer: ChatTokenizer,
  prompts: number[][],
  opts: ResponseOptions,
): Promise<Responses> {
  const out = await engine.generate(prompts, {
    maxNewTokens: opts.maxNewTokens,
    batchSize: opts.batchSize,
    ablation: ablationChoice(opts.ablation),
  });
  return {
    ids: out.tokens,
    texts: out.tokens.map((ids) => tokenizer.decode(ids, { skipSpecialTokens: true })),
  };
}

/** Probe prompts per set for the common response prefix: enough to tell a template from chance. */
const PREFIX_PROBES = 8;

/**
 * The chat encoder with the common response prefix of the model's answers to probe prompts
 * (a closed chain of thought, or text every answer starts with), as `candor run` judges.
 * Probes come from both sets, so a model that refuses every harmful prompt alike does not
 * turn its refusal opener into the prefix.
 */
export async function judgingEncoder(
  engine: Engine,
  tokenizer: ChatTokenizer,
  systemPrompt: string,
  probeSets: readonly (readonly string[])[],
  opts: Omit<ResponseOptions, 'maxNewTokens'>,
  log: (line: string) => void,
): Promise<{ encoder: PromptEncoder; prefix: string }> {
  const probes = probeSets.flatMap((set) => set.slice(0, PREFIX_PROBES));
  const { prefix } = await findResponsePrefix(async (candidate) => {
    const encoder = new PromptEncoder(tokenizer, systemPrompt, candidate);
    const out = await greedyResponses(engine, tokenizer, encoder.encode(probes), {
      ...opts,
      maxNewTokens: 16,
    });
    return out.texts;
  });
  if (prefix !== '')
    log(`common response prefix ${JSON.stringify(prefix)}: judging starts after it`);
  return { encoder: new PromptEncoder(tokenizer, systemPrompt, prefix), prefix };
}

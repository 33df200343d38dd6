// The engine's contract with the stages above it (ablate, judge, optimize, cli). Prompts are
// token ids; text and chat templates belong to src/tokenize.

import type { RuntimeAblation } from '../ablate/plan.js';

export interface AblationChoice {
  ablation: RuntimeAblation;
  /** plan index per prompt (length = prompts); omitted: `plan` for every prompt */
  planOfPrompt?: number[];
  /**
   * the plan of every prompt when planOfPrompt is omitted (default 0): one trial of several
   * compiled together, for calls whose prompts the caller does not know in advance
   */
  plan?: number;
}

/** Sampling instead of greedy decoding (chat): temperature, then nucleus (top-p) truncation. */
export interface Sampling {
  temperature: number;
  topP: number;
  seed: number;
}

export interface GenerateOptions {
  maxNewTokens: number;
  /** ids that end a sequence; default: the model's eosTokenIds */
  eosTokenIds?: number[];
  ablation?: AblationChoice;
  /**
   * Called after every decode step with the tokens generated so far for one prompt; returning
   * true drops that prompt from the batch (the judge's early exit once its verdict is settled).
   */
  shouldStop?: (prompt: number, generated: readonly number[]) => boolean;
  /** sample instead of taking the argmax (reads each step's logits back); default greedy */
  sampling?: Sampling;
  /** streamed tokens (chat) */
  onToken?: (prompt: number, token: number) => void;
  /** most sequences run at once; default chosen by the engine */
  batchSize?: number;
}

export interface GenerateResult {
  /** generated ids per prompt, without the prompt and without the final EOS */
  tokens: number[][];
  /** why each prompt stopped */
  finish: ('eos' | 'length' | 'stopped')[];
}

/**
 * Tokens that shouldStop spared the prompts `rows` (default all): each stopped prompt's
 * maxNewTokens less what it generated. The one count of early exit's savings.
 */
export function tokensSaved(
  result: GenerateResult,
  maxNewTokens: number,
  rows: readonly number[] = result.tokens.map((_, i) => i),
): number {
  return rows.reduce(
    (n, r) => n + (result.finish[r] === 'stopped' ? maxNewTokens - result.tokens[r].length : 0),
    0,
  );
}

export interface ForwardOptions {
  ablation?: AblationChoice;
  batchSize?: number;
}

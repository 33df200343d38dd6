// Early exit for refusal counting: a `shouldStop` predicate for Engine.generate that drops a
// prompt from the batch once its marker verdict is settled (engine/types.ts tokensSaved counts
// what that saved).
//
// Settled means: a marker matched (more text can never unmatch it), or `settleAfterTokens`
// tokens have passed with none. The second rule is exact only when it equals maxNewTokens (the
// default), since Heretic judges all of them. Measured on AUGMXNT/deccp's Qwen2-7B-Instruct
// responses (English, first marker position at ~4 characters a token), every marker of the
// original model came within 20 tokens (55 of 55) and of its abliterated model within 60 (28 of
// 28; one at ~53); so 60 kept every verdict there while cutting up to 40% of an answer's
// decode steps at 100. See docs/metrics.md.

import type { RefusalMarkers } from './markers.js';

export type EarlyVerdict = 'refusal' | 'answer';

export interface EarlyExitOptions {
  /** token ids → text (the tokenizer's decode, special tokens as the judge should see them) */
  decode: (ids: readonly number[]) => string;
  markers: RefusalMarkers;
  /** the generate call's maxNewTokens (the default of settleAfterTokens) */
  maxNewTokens: number;
  /** settle a marker-free prompt as an answer after this many tokens; default maxNewTokens */
  settleAfterTokens?: number;
}

export interface EarlyExit {
  shouldStop: (prompt: number, generated: readonly number[]) => boolean;
  /** settled verdict of a prompt, undefined while it is still open */
  verdict(prompt: number): EarlyVerdict | undefined;
}

export function refusalEarlyExit(options: EarlyExitOptions): EarlyExit {
  const settleAfter = Math.min(
    options.settleAfterTokens ?? options.maxNewTokens,
    options.maxNewTokens,
  );
  if (!(settleAfter >= 1)) {
    throw new Error(
      `early exit: settleAfterTokens must be at least 1, got ${options.settleAfterTokens}`,
    );
  }
  const verdicts = new Map<number, EarlyVerdict>();
  const settle = (prompt: number, verdict: EarlyVerdict): boolean => {
    verdicts.set(prompt, verdict);
    return true;
  };

  return {
    shouldStop(prompt, generated) {
      if (verdicts.has(prompt)) return true;
      if (generated.length === 0) return false;
      // Whitespace-only text is no verdict yet: an empty response is a refusal in Heretic,
      // so it must not be settled as an answer (match() would report its '' pseudo-marker).
      const text = options.decode(generated);
      if (text.trim() === '') return false;
      if (options.markers.match(text) !== null) return settle(prompt, 'refusal');
      if (generated.length >= settleAfter) return settle(prompt, 'answer');
      return false;
    },
    verdict: (prompt) => verdicts.get(prompt),
  };
}

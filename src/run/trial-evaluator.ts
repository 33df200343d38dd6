// Scores one ablation (or none) on the evaluation prompts: refusals among the harmful responses
// (greedy, early exit once a verdict is settled) and the mean KL divergence of the first
// response token on the harmless prompts against the original model, computed on the device.

import type { RuntimeAblation } from '../ablate/plan.js';
import type { Engine } from '../engine/engine.js';
import { refusalEarlyExit } from '../judge/early-exit.js';
import { meanKl } from '../judge/kl.js';
import type { RefusalMarkers } from '../judge/markers.js';

export interface EvaluationPrompts {
  /** chat-encoded harmful evaluation prompts (generation prompt and response prefix included) */
  harmful: number[][];
  /** chat-encoded harmless evaluation prompts */
  harmless: number[][];
}

export interface TrialScores {
  refusals: number;
  kl: number;
  /** per harmful prompt: the response text, its token ids and whether it counted as a refusal */
  responses: { text: string; ids: number[]; refusal: boolean }[];
  /** KL per harmless prompt (its mean is `kl`) */
  klPerPrompt: Float32Array;
  tokensSaved: number;
}

export interface EvaluatorOptions {
  maxResponseTokens: number;
  earlyExit: boolean;
  batchSize?: number;
  decode: (ids: readonly number[]) => string;
  markers: RefusalMarkers;
}

export class TrialEvaluator {
  constructor(
    private readonly engine: Engine,
    private readonly prompts: EvaluationPrompts,
    /** log-probabilities of the original model's first response token on the harmless prompts */
    private readonly baseline: readonly Float32Array[],
    private readonly options: EvaluatorOptions,
  ) {}

  /** Whether responses stop once their marker verdict is settled. */
  get earlyExit(): boolean {
    return this.options.earlyExit;
  }

  /** The same judge on other prompts (e.g. `evaluate` on another prompt set). */
  withPrompts(prompts: Partial<EvaluationPrompts>): TrialEvaluator {
    return new TrialEvaluator(
      this.engine,
      { ...this.prompts, ...prompts },
      this.baseline,
      this.options,
    );
  }

  async score(ablation: RuntimeAblation | null): Promise<TrialScores> {
    const { maxResponseTokens, markers, decode } = this.options;
    const choice = ablation ? { ablation } : undefined;
    const early = this.options.earlyExit
      ? refusalEarlyExit({ decode, markers, maxNewTokens: maxResponseTokens })
      : null;
    const generated = await this.engine.generate(this.prompts.harmful, {
      maxNewTokens: maxResponseTokens,
      ablation: choice,
      batchSize: this.options.batchSize,
      shouldStop: early?.shouldStop,
    });
    const responses = generated.tokens.map((ids) => {
      const text = decode(ids);
      return { text, ids, refusal: markers.isRefusal(text) };
    });
    const kl = await this.engine.klDivergence(this.prompts.harmless, this.baseline, {
      ablation: choice,
      batchSize: this.options.batchSize,
    });
    return {
      refusals: responses.filter((r) => r.refusal).length,
      kl: meanKl(kl),
      klPerPrompt: kl,
      responses,
      tokensSaved: generated.tokensSaved,
    };
  }
}

// Scores an ablation (none, one trial's, or several trials' plans in one batch) on the evaluation
// prompts: refusals among the harmful responses (greedy, early exit once a verdict is settled) and
// the mean first-response-token KL to the original model on the harmless prompts, on the device.

import type { RuntimeAblation } from '../ablate/plan.js';
import type { Engine } from '../engine/engine.js';
import { type AblationChoice, tokensSaved } from '../engine/types.js';
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

  /** Scores the original model (null) or one trial's ablation (its plan 0). */
  async score(ablation: RuntimeAblation | null): Promise<TrialScores> {
    const [scores] = await this.scorePlans(ablation, 1);
    return scores;
  }

  /**
   * Scores every plan compiled into `ablation`, one TrialScores each, in one generation and one
   * KL pass: each plan runs on its own copy of the prompts, so the engine's batches (of rows,
   * the batch size applies as usual) hold several trials at once.
   */
  scoreEach(ablation: RuntimeAblation): Promise<TrialScores[]> {
    return this.scorePlans(ablation, ablation.plans);
  }

  private async scorePlans(
    ablation: RuntimeAblation | null,
    plans: number,
  ): Promise<TrialScores[]> {
    const { maxResponseTokens, markers, decode, batchSize } = this.options;
    const { harmful, harmless } = this.prompts;
    const copies = <T>(rows: readonly T[]): T[] => Array.from({ length: plans }, () => rows).flat();
    /** plan p takes rows [p·n, (p+1)·n) of a call on `copies` of n prompts */
    const choice = (n: number): AblationChoice | undefined => {
      if (!ablation) return undefined;
      if (plans === 1) return { ablation };
      return {
        ablation,
        planOfPrompt: Array.from({ length: plans * n }, (_, i) => Math.floor(i / n)),
      };
    };
    const early = this.options.earlyExit
      ? refusalEarlyExit({ decode, markers, maxNewTokens: maxResponseTokens })
      : null;
    const generated = await this.engine.generate(copies(harmful), {
      maxNewTokens: maxResponseTokens,
      ablation: choice(harmful.length),
      batchSize,
      shouldStop: early?.shouldStop,
    });
    const kl = await this.engine.klDivergence(copies(harmless), copies(this.baseline), {
      ablation: choice(harmless.length),
      batchSize,
    });
    return Array.from({ length: plans }, (_, p) => {
      const rows = harmful.map((_, i) => p * harmful.length + i);
      const responses = rows.map((r) => {
        const ids = generated.tokens[r];
        const text = decode(ids);
        return { text, ids, refusal: markers.isRefusal(text) };
      });
      const klPerPrompt = kl.slice(p * harmless.length, (p + 1) * harmless.length);
      return {
        refusals: responses.filter((r) => r.refusal).length,
        kl: meanKl(klPerPrompt),
        klPerPrompt,
        responses,
        tokensSaved: tokensSaved(generated, maxResponseTokens, rows),
      };
    });
  }
}

// The engine: a model's weights on a backend, and the batched passes the stages above need —
// greedy generation (prefill + KV-cached decode, early exit), residual capture, next-token and
// continuation log-probabilities and KL divergence to a baseline — all with optional run-time
// ablation.

import type { RuntimeAblation } from '../ablate/plan.js';
import type { Backend, Tensor, WeightStream } from '../backend/backend.js';
import type { EngineWeights, ModelSpec, ModelWeights } from '../model/spec.js';
import { Rng } from '../util/random.js';
import {
  defaultBatchSize,
  maxRowsPerStep,
  type PrefillStep,
  prefillSteps,
  splitBatches,
} from './batches.js';
import { forwardStep, type LoadedModel, type StepOutput, type StepRows } from './forward.js';
import { fuseProjections } from './fuse.js';
import { KvCache } from './kv-cache.js';
import { checkSampling, sampleToken } from './sampling.js';
import type { AblationChoice, ForwardOptions, GenerateOptions, GenerateResult } from './types.js';

/** What Engine.load needs of an opened model (src/model/open.ts's OpenModel provides it). */
export interface WeightSource {
  spec: ModelSpec;
  loadWeights<T>(upload: (name: string, t: WeightStream) => Promise<T>): Promise<ModelWeights<T>>;
}

export interface EngineOptions {
  /** most token rows in one forward step (prefill is cut into steps); default from memory */
  maxRowsPerStep?: number;
}

/** A decode step enqueued on the backend whose next tokens are still being read. */
interface PendingStep {
  /** the batch sequences of its rows */
  seqs: number[];
  /** greedy next tokens on the device (null when sampled on the host) */
  next: Tensor | null;
  values: Promise<ArrayLike<number>>;
}

/** Ablation of one call, resolved: the compiled plans and each prompt's plan (null: plan 0). */
interface CallAblation {
  ablation: RuntimeAblation | null;
  planOfPrompt: number[] | null;
}

export class Engine {
  private readonly model: LoadedModel;
  private readonly maxRows: number;

  constructor(
    readonly backend: Backend,
    readonly spec: ModelSpec,
    readonly weights: EngineWeights<Tensor>,
    options: EngineOptions = {},
  ) {
    const byArray = new Map<Float32Array, Tensor>();
    const invFreq = spec.layers.map((layer) => {
      const f = layer.rope.invFreq;
      let t = byArray.get(f);
      if (!t) byArray.set(f, (t = backend.tensor(f, [f.length])));
      return t;
    });
    this.model = { backend, spec, weights, invFreq };
    this.maxRows = options.maxRowsPerStep ?? maxRowsPerStep(spec);
  }

  /** Upload every weight of `source` through `backend.loadWeight`. */
  static async load(
    backend: Backend,
    source: WeightSource,
    options: EngineOptions = {},
  ): Promise<Engine> {
    const loaded = await source.loadWeights((name, t) => backend.loadWeight(name, t));
    const weights = fuseProjections(backend, loaded, true);
    // uploads finish (and weights that do not fit f16 are named) here, not at the first use
    await backend.sync();
    backend.releaseCached();
    return new Engine(backend, source.spec, weights, options);
  }

  /** Greedy (or, with opts.sampling, sampled) continuation of every prompt, in prompt order. */
  async generate(prompts: number[][], opts: GenerateOptions): Promise<GenerateResult> {
    const abl = this.resolveAblation(prompts, opts.ablation);
    if (opts.sampling) checkSampling(opts.sampling);
    const sampling = opts.sampling?.temperature ? opts.sampling : null;
    const rngs = sampling ? prompts.map((_, i) => Rng.forStream(sampling.seed, i)) : [];
    /** the next token of each row of a step's logits (rows: batch sequences `seqs`) */
    const choose = async (
      out: StepOutput,
      seqs: number[],
      batch: number[],
    ): Promise<ArrayLike<number>> => {
      if (!sampling) return this.greedy(out);
      const V = this.spec.vocabSize;
      const logits = (await this.backend.read(out.logits as Tensor)) as Float32Array;
      return seqs.map((s, r) =>
        sampleToken(logits.subarray(r * V, (r + 1) * V), sampling, rngs[batch[s]]),
      );
    };
    const eos = new Set(opts.eosTokenIds ?? this.spec.eosTokenIds);
    const maxNew = opts.maxNewTokens;
    const tokens: number[][] = prompts.map(() => []);
    const finish: GenerateResult['finish'] = prompts.map(() => 'length');
    if (maxNew <= 0) return { tokens, finish };

    await this.eachBatch(prompts, maxNew, opts.batchSize, async (batch, cache) => {
      const lengths = batch.map((i) => prompts[i].length);
      const active = new Set<number>();
      /** takes sequence s's next token; true while it goes on */
      const accept = (s: number, token: number): boolean => {
        const prompt = batch[s];
        if (eos.has(token)) {
          finish[prompt] = 'eos';
          return false;
        }
        const generated = tokens[prompt];
        generated.push(token);
        opts.onToken?.(prompt, token);
        if (generated.length >= maxNew) return false;
        if (opts.shouldStop?.(prompt, generated)) {
          finish[prompt] = 'stopped';
          return false;
        }
        return true;
      };

      await this.prefill(prompts, batch, cache, abl, null, async (seqs, out) => {
        const ids = await choose(out, seqs, batch);
        for (const [r, s] of seqs.entries()) if (accept(s, ids[r])) active.add(s);
      });

      /**
       * Enqueues a decode step over `seqs`. Fed null, it feeds each sequence's last token from the
       * host; fed a tensor, the previous step's next tokens still on the device (one position
       * further than the host knows).
       */
      const decode = (seqs: number[], fed: Tensor | null): PendingStep => {
        const ahead = fed ? 1 : 0;
        const step: StepRows = {
          ids: fed ?? Int32Array.from(seqs, (s) => tokens[batch[s]].at(-1) as number),
          seq: Int32Array.from(seqs),
          pos: Int32Array.from(seqs, (s) => lengths[s] + tokens[batch[s]].length - 1 + ahead),
          rowPlan: this.rowPlan(
            abl,
            seqs.map((s) => batch[s]),
          ),
          logitRows: 'all',
          captureRows: null,
        };
        const out = forwardStep(this.model, cache, step, abl.ablation);
        if (sampling) {
          const values = choose(out, seqs, batch).finally(() => {
            if (out.logits) this.backend.dispose(out.logits);
          });
          return { seqs, next: null, values };
        }
        const next = this.backend.argmax(out.logits as Tensor);
        this.backend.dispose(out.logits as Tensor);
        return { seqs, next, values: this.backend.read(next) };
      };
      const sorted = (): number[] => [...active].sort((a, b) => a - b);

      let step = active.size > 0 ? decode(sorted(), null) : null;
      while (step) {
        const { seqs } = step;
        // While its tokens are read back, the step's greedy tokens already feed the next step on
        // the device, so the GPU does not wait for the host; that needs every row to take
        // another token as far as the host knows (else the host waits, and rows drop out). A
        // sequence that ends at this step then costs one wasted row in the next.
        const onward =
          step.next !== null &&
          seqs.every((s) => active.has(s) && tokens[batch[s]].length + 1 < maxNew);
        const following = onward ? decode(seqs, step.next) : null;
        let ids: ArrayLike<number>;
        try {
          ids = await step.values;
        } catch (e) {
          following?.values.catch(() => {}); // the first failure is the one to report
          throw e;
        } finally {
          if (step.next) this.backend.dispose(step.next);
        }
        for (const [r, s] of seqs.entries())
          if (active.has(s) && !accept(s, ids[r])) active.delete(s);
        step = following ?? (active.size > 0 ? decode(sorted(), null) : null);
      }
    });
    return { tokens, finish };
  }

  /**
   * Residual stream at each prompt's last position: L+1 arrays (hidden state 0 = embedding
   * output after scaling and ablation, l = raw output of layer l), each [prompts, C] in order.
   */
  async residuals(prompts: number[][], opts: ForwardOptions = {}): Promise<Float32Array[]> {
    const abl = this.resolveAblation(prompts, opts.ablation);
    const C = this.spec.hiddenSize;
    const out = Array.from(
      { length: this.spec.numLayers + 1 },
      () => new Float32Array(prompts.length * C),
    );
    await this.eachBatch(prompts, 0, opts.batchSize, async (batch, cache) => {
      await this.prefill(prompts, batch, cache, abl, 'capture', async (seqs, step) => {
        // all states' reads in flight at once: one wait for the GPU instead of one per state
        const states = await Promise.all(
          (step.captures as Tensor[]).map((t) => this.backend.read(t)),
        );
        for (const [state, rows] of states.entries()) {
          for (const [r, s] of seqs.entries()) {
            out[state].set(rows.subarray(r * C, (r + 1) * C), batch[s] * C);
          }
        }
      });
    });
    return out;
  }

  /** Logits [V] of the token after each prompt (after any final soft-cap), as the lm head gives them. */
  async nextTokenLogits(prompts: number[][], opts: ForwardOptions = {}): Promise<Float32Array[]> {
    return this.nextTokenRows(prompts, opts, 'logits');
  }

  /** Log-probabilities [V] of the token after each prompt (the first response token). */
  async nextTokenLogProbs(prompts: number[][], opts: ForwardOptions = {}): Promise<Float32Array[]> {
    return this.nextTokenRows(prompts, opts, 'logProbs');
  }

  /**
   * KL(baseline ‖ current) of the next-token distribution per prompt, computed on the backend;
   * `baseline[i]` is nextTokenLogProbs of prompt i without the edit. Reads back one float a prompt.
   */
  async klDivergence(
    prompts: number[][],
    baseline: readonly Float32Array[],
    opts: ForwardOptions = {},
  ): Promise<Float32Array> {
    const V = this.spec.vocabSize;
    if (baseline.length !== prompts.length || baseline.some((b) => b.length !== V)) {
      throw new Error(
        `klDivergence: baseline needs ${prompts.length} rows of V=${V} log-probabilities (from nextTokenLogProbs)`,
      );
    }
    const abl = this.resolveAblation(prompts, opts.ablation);
    const out = new Float32Array(prompts.length);
    await this.eachBatch(prompts, 0, opts.batchSize, async (batch, cache) => {
      await this.prefill(prompts, batch, cache, abl, null, async (seqs, step) => {
        const b = this.backend;
        const logQ = b.logSoftmax(step.logits as Tensor);
        const rows = new Float32Array(seqs.length * V);
        for (const [r, s] of seqs.entries()) rows.set(baseline[batch[s]], r * V);
        const logP = b.tensor(rows, [seqs.length, V]);
        const kl = b.klDivergence(logP, logQ);
        const values = (await b.read(kl)) as Float32Array;
        for (const t of [logQ, logP, kl]) b.dispose(t);
        for (const [r, s] of seqs.entries()) out[batch[s]] = values[r];
      });
    });
    return out;
  }

  /**
   * Log-probability of each token of `continuations[i]` after `prompts[i]` and the tokens before
   * it (teacher forcing): log p(c_t | prompt, c_<t), one array per prompt. Perplexity of a
   * response under another model (or without the edit) comes from these.
   */
  async continuationLogProbs(
    prompts: number[][],
    continuations: number[][],
    opts: ForwardOptions = {},
  ): Promise<Float32Array[]> {
    if (continuations.length !== prompts.length) {
      throw new Error(
        `continuationLogProbs: ${continuations.length} continuations for ${prompts.length} prompts`,
      );
    }
    // The last continuation token is only predicted, never fed.
    const fed = prompts.map((p, i) => [...p, ...continuations[i].slice(0, -1)]);
    const abl = this.resolveAblation(fed, opts.ablation);
    const V = this.spec.vocabSize;
    const result = continuations.map((c) => new Float32Array(c.length));
    await this.eachBatch(fed, 0, opts.batchSize, async (batch, cache) => {
      /** logit rows of a step and, per row, [prompt, continuation index] of its target */
      const logitTargets = (step: PrefillStep) => {
        const rows: number[] = [];
        const targets: [number, number][] = [];
        for (let t = 0; t < step.ids.length; t++) {
          const i = batch[step.seq[t]];
          // the row at the prompt's last token predicts c_0, the next one c_1, ...
          const k = step.pos[t] - (prompts[i].length - 1);
          if (k >= 0 && k < continuations[i].length) {
            rows.push(t);
            targets.push([i, k]);
          }
        }
        return { rows: Int32Array.from(rows), targets };
      };
      const rowsOf = (step: PrefillStep) => ({
        logitRows: logitTargets(step).rows,
        captureRows: null,
      });
      await this.prefillRows(fed, batch, cache, abl, rowsOf, async (step, out) => {
        if (!out.logits) return;
        const logProbs = this.backend.logSoftmax(out.logits);
        const values = (await this.backend.read(logProbs)) as Float32Array;
        this.backend.dispose(logProbs);
        for (const [r, [i, k]] of logitTargets(step).targets.entries()) {
          result[i][k] = values[r * V + continuations[i][k]];
        }
      });
    });
    return result;
  }

  /** Free the weights (a shared tied embedding once). */
  dispose(): void {
    const { embedding, layers, finalNorm, lmHead } = this.weights;
    const all = new Set<Tensor>([embedding, finalNorm, lmHead, ...this.model.invFreq]);
    for (const layer of layers) for (const t of Object.values(layer)) all.add(t as Tensor);
    for (const t of all) this.backend.dispose(t);
  }

  private async nextTokenRows(
    prompts: number[][],
    opts: ForwardOptions,
    kind: 'logits' | 'logProbs',
  ): Promise<Float32Array[]> {
    const abl = this.resolveAblation(prompts, opts.ablation);
    const V = this.spec.vocabSize;
    const out: Float32Array[] = prompts.map(() => new Float32Array(0));
    await this.eachBatch(prompts, 0, opts.batchSize, async (batch, cache) => {
      await this.prefill(prompts, batch, cache, abl, null, async (seqs, step) => {
        const logits = step.logits as Tensor;
        const result = kind === 'logits' ? logits : this.backend.logSoftmax(logits);
        const rows = (await this.backend.read(result)) as Float32Array;
        if (result !== logits) this.backend.dispose(result);
        for (const [r, s] of seqs.entries()) out[batch[s]] = rows.slice(r * V, (r + 1) * V);
      });
    });
    return out;
  }

  /** Runs `body` on each batch of prompts with a KV cache for prompt + `newTokens` positions. */
  private async eachBatch(
    prompts: number[][],
    newTokens: number,
    batchSize: number | undefined,
    body: (batch: number[], cache: KvCache) => Promise<void>,
  ): Promise<void> {
    prompts.forEach((p, i) => {
      if (p.length === 0)
        throw new Error(`prompt ${i} has no tokens; every prompt needs at least one`);
    });
    const lengths = prompts.map((p) => p.length);
    const longest = Math.max(0, ...lengths) + newTokens;
    const size = batchSize ?? defaultBatchSize(this.spec, longest);
    try {
      for (const batch of splitBatches(lengths, size)) {
        const positions = Math.max(...batch.map((i) => lengths[i])) + newTokens;
        const cache = KvCache.allocate(this.backend, this.spec, batch.length, positions);
        try {
          await body(batch, cache);
        } finally {
          cache.dispose();
        }
      }
    } finally {
      this.backend.releaseCached();
    }
  }

  /**
   * Runs the batch's prompt tokens through the model in bounded steps; `consume` gets, per step,
   * the batch sequences whose prompt ends there and their logits (or residuals with 'capture').
   */
  private async prefill(
    prompts: number[][],
    batch: number[],
    cache: KvCache,
    abl: CallAblation,
    mode: 'capture' | null,
    consume: (seqs: number[], out: StepOutput) => Promise<void>,
  ): Promise<void> {
    await this.prefillRows(
      prompts,
      batch,
      cache,
      abl,
      (step) =>
        mode === 'capture'
          ? { logitRows: new Int32Array(0), captureRows: step.lastRows }
          : { logitRows: step.lastRows, captureRows: null },
      async (step, out) => {
        if (step.lastSeqs.length > 0) await consume(step.lastSeqs, out);
      },
    );
  }

  /** The prefill steps of a batch, with the logit and capture rows that `rowsOf` picks per step. */
  private async prefillRows(
    prompts: number[][],
    batch: number[],
    cache: KvCache,
    abl: CallAblation,
    rowsOf: (step: PrefillStep) => { logitRows: Int32Array; captureRows: Int32Array | null },
    consume: (step: PrefillStep, out: StepOutput) => Promise<void>,
  ): Promise<void> {
    const steps = prefillSteps(
      batch.map((i) => prompts[i]),
      this.maxRows,
    );
    for (const step of steps) {
      const rows = {
        ids: step.ids,
        seq: step.seq,
        pos: step.pos,
        rowPlan: this.rowPlan(
          abl,
          Array.from(step.seq, (s) => batch[s]),
        ),
        ...rowsOf(step),
      };
      const out = forwardStep(this.model, cache, rows, abl.ablation);
      try {
        await consume(step, out);
      } finally {
        if (out.logits) this.backend.dispose(out.logits);
        for (const t of out.captures ?? []) this.backend.dispose(t);
      }
    }
  }

  /** argmax of the step's logits, read back as token ids (consumes the logits) */
  private async greedy(out: StepOutput): Promise<Int32Array> {
    const logits = out.logits as Tensor;
    const ids = this.backend.argmax(logits);
    this.backend.dispose(logits);
    out.logits = null;
    const values = (await this.backend.read(ids)) as Int32Array;
    this.backend.dispose(ids);
    return values;
  }

  private rowPlan(abl: CallAblation, promptOfRow: number[]): Int32Array | null {
    const plans = abl.planOfPrompt;
    return plans ? Int32Array.from(promptOfRow, (p) => plans[p]) : null;
  }

  private resolveAblation(prompts: number[][], choice: AblationChoice | undefined): CallAblation {
    if (!choice) return { ablation: null, planOfPrompt: null };
    const { ablation, planOfPrompt, plan } = choice;
    if (ablation.layers.length !== this.spec.numLayers) {
      throw new Error(
        `ablation has ${ablation.layers.length} layers, the model ${this.spec.numLayers}`,
      );
    }
    if (planOfPrompt && plan !== undefined) {
      throw new Error('the ablation choice gives both planOfPrompt and plan; give one');
    }
    if (planOfPrompt && planOfPrompt.length !== prompts.length) {
      throw new Error(
        `planOfPrompt has ${planOfPrompt.length} entries for ${prompts.length} prompts`,
      );
    }
    const named = planOfPrompt ?? (plan === undefined ? [] : [plan]);
    const bad = named.find((p) => !(Number.isInteger(p) && p >= 0 && p < ablation.plans));
    if (bad !== undefined) {
      throw new Error(
        `the ablation choice names plan ${bad}, but only ${ablation.plans} plans are compiled`,
      );
    }
    // plan 0 needs no per-row index: the backends use plan 0 where none is given
    return { ablation, planOfPrompt: planOfPrompt ?? (plan ? prompts.map(() => plan) : null) };
  }
}

// One forward step of the generic transformer over a ragged batch of token rows, built only from
// Backend ops and driven by ModelSpec flags (q/k norms, sandwich norms, biases, soft-caps, per-layer
// window and rope). Every intermediate is disposed as soon as it is consumed.

import type { RuntimeAblation } from '../ablate/plan.js';
import type { AblationTensors, Backend, Tensor } from '../backend/backend.js';
import type { EngineWeights, ModelSpec } from '../model/spec.js';
import type { KvCache } from './kv-cache.js';

/** The model as the step needs it: spec, weights on the backend, and each layer's invFreq tensor. */
export interface LoadedModel {
  backend: Backend;
  spec: ModelSpec;
  weights: EngineWeights<Tensor>;
  /** per layer, rope inverse frequencies [rotaryDim/2] (shared tensors where layers agree) */
  invFreq: Tensor[];
}

/** T token rows; row t is token ids[t] of batch sequence seq[t] at position pos[t]. */
export interface StepRows {
  /** host token ids, or i32[T] already on the backend (the previous step's greedy tokens) */
  ids: Int32Array | Tensor;
  seq: Int32Array;
  pos: Int32Array;
  /** plan of each row when several ablation plans share the batch; null: plan 0 */
  rowPlan: Int32Array | null;
  /** rows whose next-token logits are wanted, or 'all' (decode steps) */
  logitRows: Int32Array | 'all';
  /** rows whose residual stream is captured after the embedding and every layer, or null */
  captureRows: Int32Array | null;
}

export interface StepOutput {
  /** [R, V] logits of the logit rows (final soft-cap applied), or null when none were asked */
  logits: Tensor | null;
  /** L+1 tensors [R', C]: hidden state 0 (embedding output) and each layer's output, or null */
  captures: Tensor[] | null;
}

export function forwardStep(
  model: LoadedModel,
  cache: KvCache,
  rows: StepRows,
  ablation: RuntimeAblation | null,
): StepOutput {
  const { backend: b, spec, weights } = model;
  if (rows.seq.length === 0) throw new Error('forwardStep: a step needs at least one token row');
  const eps = spec.rmsNormEps;
  const offset = spec.normWeightOffset;
  const inputs: Tensor[] = [];
  const upload = (data: Int32Array): Tensor => {
    const t = b.tensor(data, [data.length]);
    inputs.push(t);
    return t;
  };
  const seq = upload(rows.seq);
  const pos = upload(rows.pos);
  const rowPlan = rows.rowPlan ? upload(rows.rowPlan) : null;
  const captureRows = rows.captureRows ? upload(rows.captureRows) : null;
  const ablate = (y: Tensor, edit: AblationTensors | null | undefined): void => {
    if (edit) b.ablate(y, edit, rowPlan);
  };
  const captures: Tensor[] | null = captureRows ? [] : null;
  const capture = (x: Tensor): void => {
    if (captures && captureRows) captures.push(b.gatherRows(x, captureRows));
  };
  /** `w`, one of the optional norms the spec asks for */
  const needed = (w: Tensor | undefined, layer: number, what: string): Tensor => {
    if (!w)
      throw new Error(`layer ${layer}: the model spec asks for ${what} but its weights have none`);
    return w;
  };
  /** norm(y), consuming y */
  const normed = (y: Tensor, w: Tensor | undefined, layer: number, what: string): Tensor => {
    const n = b.rmsNorm(y, needed(w, layer, what), eps, offset);
    b.dispose(y);
    return n;
  };

  const ids = rows.ids instanceof Int32Array ? upload(rows.ids) : rows.ids;
  const x = b.embed(weights.embedding, ids, spec.embeddingScale);
  ablate(x, ablation?.embedding);
  capture(x);
  /**
   * A writer's output projection (attention's o, the MLP's down) of `input`: edited,
   * sandwich-normed if the spec asks, added to x. Unedited and unnormed, the backend adds it
   * straight into x (no separate add).
   */
  const write = (
    input: Tensor,
    weight: Tensor,
    bias: Tensor | undefined,
    edit: AblationTensors | null | undefined,
    postNorm: Tensor | undefined,
    layer: number,
    what: string,
  ): void => {
    if (!edit && !spec.sandwichNorms) {
      b.addLinear(x, input, weight, bias);
      return;
    }
    const y = b.linear(input, weight, bias);
    ablate(y, edit);
    const out = spec.sandwichNorms ? normed(y, postNorm, layer, what) : y;
    b.addInPlace(x, out);
    b.dispose(out);
  };

  for (let l = 0; l < spec.numLayers; l++) {
    const w = weights.layers[l];
    const layer = spec.layers[l];
    const edits = ablation?.layers[l];

    // attention
    const h = b.rmsNorm(x, w.inputNorm, eps, offset);
    const qkv = b.linear(h, w.qkv, w.qkvBias);
    b.dispose(h);
    const { rotaryDim, attentionFactor } = layer.rope;
    const q = b.attentionInputs(qkv, cache.keys[l], cache.values[l], seq, pos, {
      numHeads: spec.numHeads,
      numKvHeads: spec.numKvHeads,
      headDim: spec.headDim,
      invFreq: model.invFreq[l],
      rotaryDim,
      attentionFactor,
      qkNorm: spec.qkNorm
        ? { q: needed(w.qNorm, l, 'q_norm'), k: needed(w.kNorm, l, 'k_norm'), eps, offset }
        : null,
    });
    b.dispose(qkv);
    const a = b.attention(q, cache.keys[l], cache.values[l], seq, pos, {
      numHeads: spec.numHeads,
      numKvHeads: spec.numKvHeads,
      headDim: spec.headDim,
      scale: spec.attentionScale,
      slidingWindow: layer.slidingWindow,
      softcap: spec.attentionLogitSoftcap,
    });
    b.dispose(q);
    write(a, w.o, w.oBias, edits?.attn, w.postAttentionNorm, l, 'post_attention_layernorm');
    b.dispose(a);

    // MLP
    const h2 = b.rmsNorm(x, w.preMlpNorm, eps, offset);
    const gateUp = b.linear(h2, w.gateUp, w.gateUpBias);
    b.dispose(h2);
    const act = b.gatedActivation(gateUp, spec.activation);
    b.dispose(gateUp);
    write(act, w.down, w.downBias, edits?.mlp, w.postMlpNorm, l, 'post_feedforward_layernorm');
    b.dispose(act);
    capture(x);
  }

  let logits: Tensor | null = null;
  if (rows.logitRows === 'all' || rows.logitRows.length > 0) {
    const last = rows.logitRows === 'all' ? x : b.gatherRows(x, upload(rows.logitRows));
    const n = b.rmsNorm(last, weights.finalNorm, eps, offset);
    if (last !== x) b.dispose(last);
    logits = b.linear(n, weights.lmHead);
    b.dispose(n);
    if (spec.finalLogitSoftcap !== null) b.softcap(logits, spec.finalLogitSoftcap);
  }
  b.dispose(x);
  for (const t of inputs) b.dispose(t);
  return { logits, captures };
}

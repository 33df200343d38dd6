// Compiles plans (P of them, for trials sharing one batch) into the backend tensors of the
// engine's ablation hook: per edited writer its directions, weights, 1/n and the output scale s.
// For `full`, s comes exactly from two matrix products with W per writer (docs/ablation.md).

import type { AblationTensors, Backend, Tensor } from '../backend/backend.js';
import type { EngineWeights } from '../model/spec.js';
import { fullOutScale } from './full-normalization.js';
import type { AblationPlan, ComponentEdit, NormalizationMode, RuntimeAblation } from './plan.js';
import { checkPlanFitsModel } from './plan-io.js';

/** Row norms per weight tensor, read back once: they never change while the weights live. */
const rowNormCache = new WeakMap<Tensor, Float64Array>();

async function hostRowNorms(backend: Backend, w: Tensor): Promise<Float64Array> {
  const cached = rowNormCache.get(w);
  if (cached) return cached;
  const t = backend.rowNorms(w);
  const norms = Float64Array.from(await backend.read(t));
  backend.dispose(t);
  rowNormCache.set(w, norms);
  return norms;
}

/** [P,C] rows of the plans' directions (zeros where a plan leaves the component alone) and weights. */
function stackEdits(edits: (ComponentEdit | null)[], C: number): [Float32Array, Float32Array] {
  const directions = new Float32Array(edits.length * C);
  const weights = new Float32Array(edits.length);
  edits.forEach((e, p) => {
    if (!e) return;
    directions.set(e.direction, p * C);
    weights[p] = e.weight;
  });
  return [directions, weights];
}

async function compileWriter(
  backend: Backend,
  W: Tensor,
  edits: (ComponentEdit | null)[],
  mode: NormalizationMode,
): Promise<AblationTensors | null> {
  if (edits.every((e) => e === null)) return null;
  const [C, K] = W.shape;
  const P = edits.length;
  const [directions, weights] = stackEdits(edits, C);
  if (mode === 'none') {
    return {
      directions: backend.tensor(directions, [P, C]),
      weights: backend.tensor(weights, [P]),
      inverseNorm: null,
      outScale: null,
    };
  }
  const n = await hostRowNorms(backend, W);
  // a zero row gives ŷ_i = 0 (not 0·∞): its normalised row is zero, as F.normalize leaves it
  const inverse = Float32Array.from(n, (x) => (x === 0 ? 0 : 1 / x));
  const outScale = new Float32Array(P * C);
  if (mode === 'pre') {
    for (let p = 0; p < P; p++) outScale.set(Float32Array.from(n), p * C);
  } else {
    // u_p = Ŵᵀv_p = Wᵀ(v_p ⊘ n) and ŴŴᵀv_p = (W·u_p) ⊘ n, all plans in one product each
    const probes = Float32Array.from(directions, (v, i) => v * inverse[i % C]);
    const probeTensor = backend.tensor(probes, [P, C]);
    const uTensor = backend.linearTransposed(probeTensor, W);
    const wuTensor = backend.linear(uTensor, W);
    const u = await backend.read(uTensor);
    const wu = await backend.read(wuTensor);
    for (const t of [probeTensor, uTensor, wuTensor]) backend.dispose(t);
    for (let p = 0; p < P; p++) {
      let uNormSq = 0;
      for (let j = 0; j < K; j++) uNormSq += u[p * K + j] ** 2;
      const whu = Float64Array.from({ length: C }, (_, i) => wu[p * C + i] * inverse[i]);
      const v = directions.subarray(p * C, (p + 1) * C);
      outScale.set(fullOutScale(n, v, weights[p], whu, uNormSq), p * C);
    }
  }
  return {
    directions: backend.tensor(directions, [P, C]),
    weights: backend.tensor(weights, [P]),
    inverseNorm: backend.tensor(inverse, [C]),
    outScale: backend.tensor(outScale, [P, C]),
  };
}

/** Compile `plans` (sharing one normalisation mode) against the model's weights on `backend`. */
export async function compileAblation(
  backend: Backend,
  weights: EngineWeights<Tensor>,
  plans: readonly AblationPlan[],
): Promise<RuntimeAblation> {
  if (plans.length === 0) throw new Error('compileAblation needs at least one plan');
  const mode = plans[0].normalization;
  const other = plans.find((p) => p.normalization !== mode);
  if (other) {
    throw new Error(
      `plans sharing a batch must share one normalisation mode (got ${mode} and ${other.normalization}); compile them separately`,
    );
  }
  const C = weights.embedding.shape[1];
  for (const [i, p] of plans.entries())
    checkPlanFitsModel(p, weights.layers.length, C, `plan ${i}`);
  const embeddingEdits = plans.map((p) => p.embedding);
  let embedding: AblationTensors | null = null;
  if (embeddingEdits.some((e) => e !== null)) {
    const [directions, w] = stackEdits(embeddingEdits, C);
    embedding = {
      directions: backend.tensor(directions, [plans.length, C]),
      weights: backend.tensor(w, [plans.length]),
      inverseNorm: null,
      outScale: null,
    };
  }
  const layers: RuntimeAblation['layers'] = [];
  for (let l = 0; l < weights.layers.length; l++) {
    const layer = weights.layers[l];
    layers.push({
      attn: await compileWriter(
        backend,
        layer.o,
        plans.map((p) => p.layers[l].attn),
        mode,
      ),
      mlp: await compileWriter(
        backend,
        layer.down,
        plans.map((p) => p.layers[l].mlp),
        mode,
      ),
    });
  }
  return { plans: plans.length, embedding, layers };
}

/** Free every tensor of a compiled ablation. */
export function disposeAblation(backend: Backend, ablation: RuntimeAblation): void {
  const free = (a: AblationTensors | null): void => {
    if (!a) return;
    for (const t of [a.directions, a.weights, a.inverseNorm, a.outScale]) if (t) backend.dispose(t);
  };
  free(ablation.embedding);
  for (const l of ablation.layers) {
    free(l.attn);
    free(l.mlp);
  }
}

/** `plan` compiled for `use` (null: the model as it is), its tensors freed afterwards. */
export async function withAblation<T>(
  backend: Backend,
  weights: EngineWeights<Tensor>,
  plan: AblationPlan | null,
  use: (ablation: RuntimeAblation | null) => Promise<T>,
): Promise<T> {
  const ablation = plan ? await compileAblation(backend, weights, [plan]) : null;
  try {
    return await use(ablation);
  } finally {
    if (ablation) disposeAblation(backend, ablation);
  }
}

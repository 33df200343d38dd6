// The one interface both backends implement. The engine composes a transformer from these ops
// and never looks inside a tensor; the CPU backend is the readable oracle, WebGPU the fast one.
// Ops are forward-only today; backward ops (for LoRA training) will join as further methods.
// Shape legend: see src/model/spec.ts.

export type DType = 'f32' | 'f16' | 'i32';

/** A tensor owned by a backend. Opaque to the engine: only shape and dtype are visible. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** Host-side tensor as read from safetensors, before upload. */
export interface HostTensor {
  shape: number[];
  dtype: 'f32' | 'f16' | 'bf16';
  /** raw little-endian bytes exactly as stored */
  bytes: Uint8Array;
}

/**
 * A weight whose bytes are read on demand into memory the backend chooses (the WebGPU backend
 * reads a checkpoint straight into its mapped staging buffers: no host copy of the tensor).
 */
export interface WeightStream {
  shape: number[];
  dtype: HostTensor['dtype'];
  /** bytes as stored */
  byteLength: number;
  /** the stored bytes [offset, offset + dst.length) into dst */
  readInto(offset: number, dst: Uint8Array): Promise<void>;
}

export interface AttentionOptions {
  numHeads: number; // H
  numKvHeads: number; // K
  headDim: number; // D
  scale: number;
  /** null: causal over all earlier positions; W: only positions p with pos - W < p <= pos */
  slidingWindow: number | null;
  softcap: number | null;
}

/** How attentionInputs prepares q, k and v (see there). */
export interface AttentionInputOptions {
  numHeads: number; // H
  numKvHeads: number; // K
  headDim: number; // D
  /** rope: inverse frequencies f32[rotaryDim/2]; dims past rotaryDim of each head stay as they are */
  invFreq: Tensor;
  rotaryDim: number;
  /** cos and sin are scaled by it (YaRN and similar) */
  attentionFactor: number;
  /** per-head RMS norms of q and k (weights [D]) before rope, or null */
  qkNorm: { q: Tensor; k: Tensor; eps: number; offset: number } | null;
}

/**
 * Run-time directional ablation of one component's output y (rows of width C), covering
 * Heretic's three row-normalisation modes with one formula:
 *   ŷ = y ⊘ n;   y' = s_p ⊙ (ŷ − w_p · v_p (v_pᵀ ŷ))
 * where p is the plan of the row (several trials may share one batch).
 * mode none: n = 1, s = 1.   pre: n = row norms of W, s = n.   full: s_i = n_i / ‖row i of W'‖.
 */
export interface AblationTensors {
  directions: Tensor; // [P, C] unit vectors v_p
  weights: Tensor; // [P] w_p
  inverseNorm: Tensor | null; // [C] 1/n, null for mode none
  outScale: Tensor | null; // [P, C] s_p, null for mode none
}

export interface Backend {
  readonly name: 'cpu' | 'webgpu';
  /** human-readable device description (adapter name, features) for logs and bench rows */
  readonly description: string;
  /** the dtype weights are stored in on this device (f32 on CPU, f16 where the GPU offers it) */
  readonly weightDType: DType;

  // --- memory ---
  /** Upload a weight, converting from its stored dtype; throws naming `name` on f16 overflow. */
  weight(name: string, t: HostTensor): Tensor;
  /** `weight` for a tensor read on demand (how models load: see WeightStream). */
  loadWeight(name: string, t: WeightStream): Promise<Tensor>;
  tensor(data: Float32Array | Int32Array, shape: readonly number[]): Tensor;
  zeros(shape: readonly number[], dtype: DType): Tensor;
  read(t: Tensor): Promise<Float32Array | Int32Array>;
  dispose(t: Tensor): void;
  /** Submit queued work and wait for it (a no-op on the CPU). */
  sync(): Promise<void>;
  /**
   * Gives back device memory kept for reuse by disposed tensors (a no-op on the CPU). The engine
   * calls it after each call, so buffers of one call's shapes do not pile up beside the next's.
   */
  releaseCached(): void;
  destroy(): void;

  // --- ops (outputs are new tensors unless the doc says "in place") ---
  /** table [V,C], ids i32[T] → [T,C] scaled by `scale` */
  embed(table: Tensor, ids: Tensor, scale: number): Tensor;
  /** x [T,C] → x / rms(x) * (w + offset); rows of width w.shape[0] (also per-head q/k norm) */
  rmsNorm(x: Tensor, w: Tensor, eps: number, offset: number): Tensor;
  /** x [T,K], w [N,K] (Hugging Face out×in layout), bias [N] → x·wᵀ + bias: [T,N] */
  linear(x: Tensor, w: Tensor, bias?: Tensor): Tensor;
  /**
   * in place: into [T,N] += x·wᵀ + bias (a writer's output straight into the residual stream;
   * at decode the GPU adds it inside the linear's own kernel); x is not `into`
   */
  addLinear(into: Tensor, x: Tensor, w: Tensor, bias?: Tensor): void;
  /** x [T,N], w [N,K] → x·w: [T,K] (linear's input-gradient product; also Wᵀv for ablation) */
  linearTransposed(x: Tensor, w: Tensor): Tensor;
  /** w [N,K] → f32[N] Euclidean norm of each row */
  rowNorms(w: Tensor): Tensor;
  /**
   * A layer's joined projection qkv [T, (H+2K)·D] → q [T, H·D]; k and v are written into the
   * caches [S, P, K·D] at rows (seq[t], pos[t]). Heads of q and k are RMS-normed first where
   * `qkNorm` is given, then rotated by pos[t] (rope). One op, so one GPU dispatch.
   */
  attentionInputs(
    qkv: Tensor,
    cacheK: Tensor,
    cacheV: Tensor,
    seq: Tensor,
    pos: Tensor,
    opts: AttentionInputOptions,
  ): Tensor;
  /** q [T,H*D] attends to cached keys/values of its sequence at positions ≤ pos[t] → [T,H*D] */
  attention(
    q: Tensor,
    cacheK: Tensor,
    cacheV: Tensor,
    seq: Tensor,
    pos: Tensor,
    opts: AttentionOptions,
  ): Tensor;
  /** gateUp [T,2F] (gate in the first F columns, up in the last F) → act(gate) ⊙ up: [T,F] */
  gatedActivation(gateUp: Tensor, activation: 'silu' | 'gelu_tanh'): Tensor;
  /** parts [N_i, ...rest] of one dtype → their rows in order: [ΣN_i, ...rest] (parts unchanged) */
  concatRows(parts: readonly Tensor[]): Tensor;
  /** in place: a += b (same shape) */
  addInPlace(a: Tensor, b: Tensor): void;
  /** in place on y [T,C]; rowPlan i32[T] picks each row's plan (null: plan 0 for all rows) */
  ablate(y: Tensor, ablation: AblationTensors, rowPlan: Tensor | null): void;
  /** x [T,C], rows i32[R] → [R,C] */
  gatherRows(x: Tensor, rows: Tensor): Tensor;
  /** in place: x ← cap · tanh(x / cap) */
  softcap(x: Tensor, cap: number): void;
  /** x [R,V] → log-softmax over each row (f32) */
  logSoftmax(x: Tensor): Tensor;
  /** x [R,V] → i32[R] index of the row maximum (lowest index on ties) */
  argmax(x: Tensor): Tensor;
  /** logP, logQ [R,V] log-probabilities → f32[R] Σ exp(logP)·(logP − logQ) */
  klDivergence(logP: Tensor, logQ: Tensor): Tensor;
}

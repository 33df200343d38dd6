// The CPU backend: every Backend op in plain f32 TypeScript on typed arrays, one kernel per file
// group (matmul, norm, rope, attention, activation, ablate, rows, logits). It is the readable
// oracle the WebGPU backend and transformers' goldens are checked against, not the fast path.

import type {
  AblationTensors,
  AttentionInputOptions,
  AttentionOptions,
  Backend,
  DType,
  HostTensor,
  Tensor,
} from '../backend.js';
import { readWhole } from '../weight-stream.js';
import { ablateForward } from './ablate.js';
import { gatedActivationForward, softcapForward } from './activation.js';
import { attentionForward, cacheWriteForward } from './attention.js';
import { hostToF32 } from './dtype.js';
import { argmaxForward, klDivergenceForward, logSoftmaxForward } from './logits.js';
import { matmulForward, matmulTransposedForward, rowNormsForward } from './matmul.js';
import { rmsNormForward } from './norm.js';
import { ropeForward } from './rope.js';
import { embedForward, gatherRowsForward, splitColumns } from './rows.js';
import { CpuTensor, dispose, f32, i32, live as liveTensor, makeTensor } from './tensor.js';

/** The CPU backend plus a leak probe for tests: tensors created and not yet disposed. */
export interface CpuBackend extends Backend {
  liveTensors(): number;
}

function expectShape(t: Tensor, shape: readonly number[], what: string): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`cpu backend: ${what} has shape [${t.shape}], expected [${shape}]`);
  }
}

function rows2(t: Tensor, what: string): [number, number] {
  if (t.shape.length !== 2) throw new Error(`cpu backend: ${what} must be 2-D, got [${t.shape}]`);
  return [t.shape[0], t.shape[1]];
}

export function createCpuBackend(): CpuBackend {
  let live = 0;
  const track = (t: CpuTensor): CpuTensor => {
    live++;
    return t;
  };
  const out = (shape: readonly number[], dtype: DType = 'f32'): CpuTensor =>
    track(makeTensor(shape, dtype));
  const linear = (x: Tensor, w: Tensor, bias?: Tensor): CpuTensor => {
    const [T, K] = rows2(x, 'linear x');
    const [N, Kw] = rows2(w, 'linear w');
    if (K !== Kw)
      throw new Error(`cpu backend: linear x [${x.shape}] · w [${w.shape}]ᵀ: inner sizes differ`);
    if (bias) expectShape(bias, [N], 'linear bias');
    const y = out([T, N]);
    const b = bias ? f32(bias, 'linear bias') : null;
    matmulForward(y.data as Float32Array, f32(x, 'linear x'), f32(w, 'linear w'), b, T, K, N);
    return y;
  };
  const weight = (name: string, t: HostTensor): Tensor =>
    track(new CpuTensor(hostToF32(name, t), [...t.shape], 'f32'));

  return {
    name: 'cpu',
    description: 'CPU (TypeScript, f32)',
    weightDType: 'f32',
    liveTensors: () => live,

    weight,
    loadWeight: async (name, t) => weight(name, await readWhole(t)),
    tensor(data: Float32Array | Int32Array, shape: readonly number[]): Tensor {
      const dtype = data instanceof Int32Array ? 'i32' : 'f32';
      return track(new CpuTensor(data.slice(), [...shape], dtype));
    },
    zeros: (shape, dtype) => out(shape, dtype),
    async read(t: Tensor): Promise<Float32Array | Int32Array> {
      const c = t as CpuTensor;
      return c.dtype === 'i32' ? i32(t, 'read').slice() : f32(c, 'read').slice();
    },
    dispose(t: Tensor): void {
      dispose(t);
      live--;
    },
    async sync(): Promise<void> {},
    releaseCached(): void {},
    destroy(): void {},

    embed(table, ids, scale) {
      const [V, C] = rows2(table, 'embed table');
      const idv = i32(ids, 'embed ids');
      const y = out([idv.length, C]);
      embedForward(y.data as Float32Array, f32(table, 'embed table'), idv, scale, V, C);
      return y;
    },
    rmsNorm(x, w, eps, offset) {
      const W = w.shape[0];
      const xv = f32(x, 'rmsNorm x');
      if (xv.length % W !== 0) {
        throw new Error(`cpu backend: rmsNorm x [${x.shape}] is not rows of width ${W}`);
      }
      const y = out(x.shape);
      rmsNormForward(
        y.data as Float32Array,
        xv,
        f32(w, 'rmsNorm w'),
        eps,
        offset,
        xv.length / W,
        W,
      );
      return y;
    },
    linear,
    addLinear(into, x, w, bias) {
      if (into === x) throw new Error('cpu backend: addLinear into its own input');
      const y = linear(x, w, bias);
      expectShape(into, y.shape, 'addLinear into');
      const iv = f32(into, 'addLinear into');
      const yv = y.data as Float32Array;
      for (let i = 0; i < iv.length; i++) iv[i] += yv[i];
      dispose(y);
      live--;
    },
    linearTransposed(x, w) {
      const [T, N] = rows2(x, 'linearTransposed x');
      const [Nw, K] = rows2(w, 'linearTransposed w');
      if (N !== Nw)
        throw new Error(
          `cpu backend: linearTransposed x [${x.shape}] · w [${w.shape}]: inner sizes differ`,
        );
      const y = out([T, K]);
      matmulTransposedForward(y.data as Float32Array, f32(x, 'x'), f32(w, 'w'), T, N, K);
      return y;
    },
    rowNorms(w) {
      const [N, K] = rows2(w, 'rowNorms w');
      const y = out([N]);
      rowNormsForward(y.data as Float32Array, f32(w, 'rowNorms w'), N, K);
      return y;
    },
    attentionInputs(qkv, cacheK, cacheV, seq, pos, o: AttentionInputOptions) {
      const { numHeads: H, numKvHeads: K, headDim: D, rotaryDim } = o;
      const [T] = rows2(qkv, 'attentionInputs qkv');
      expectShape(qkv, [T, (H + 2 * K) * D], 'attentionInputs qkv');
      const [S, P] = cacheK.shape;
      expectShape(cacheK, [S, P, K * D], 'attentionInputs cacheK');
      expectShape(cacheV, [S, P, K * D], 'attentionInputs cacheV');
      expectShape(seq, [T], 'attentionInputs seq');
      expectShape(pos, [T], 'attentionInputs pos');
      expectShape(o.invFreq, [rotaryDim / 2], 'attentionInputs invFreq');
      const seqv = i32(seq, 'attentionInputs seq');
      const posv = i32(pos, 'attentionInputs pos');
      for (let t = 0; t < T; t++) {
        if (posv[t] >= P || seqv[t] >= S) {
          throw new Error(
            `cpu backend: attentionInputs row (seq ${seqv[t]}, pos ${posv[t]}) is outside the cache [${cacheK.shape}]`,
          );
        }
      }
      const [q, k, v] = splitColumns(f32(qkv, 'attentionInputs qkv'), T, [H * D, K * D, K * D]);
      if (o.qkNorm) {
        const { eps, offset } = o.qkNorm;
        const norm = (x: Float32Array, w: Tensor, what: string): void => {
          expectShape(w, [D], what);
          rmsNormForward(x, x, f32(w, what), eps, offset, x.length / D, D);
        };
        norm(q, o.qkNorm.q, 'q norm');
        norm(k, o.qkNorm.k, 'k norm');
      }
      const invFreq = f32(o.invFreq, 'attentionInputs invFreq');
      ropeForward(q, posv, invFreq, T, H, D, rotaryDim, o.attentionFactor);
      ropeForward(k, posv, invFreq, T, K, D, rotaryDim, o.attentionFactor);
      cacheWriteForward(f32(cacheK, 'cacheK'), k, seqv, posv, T, P, K * D);
      cacheWriteForward(f32(cacheV, 'cacheV'), v, seqv, posv, T, P, K * D);
      return track(new CpuTensor(q, [T, H * D], 'f32'));
    },
    attention(q, cacheK, cacheV, seq, pos, opts: AttentionOptions) {
      const { numHeads: H, numKvHeads: K, headDim: D } = opts;
      const [T] = rows2(q, 'attention q');
      expectShape(q, [T, H * D], 'attention q');
      const [, P, KD] = cacheK.shape;
      if (KD !== K * D)
        throw new Error(
          `cpu backend: attention cache [${cacheK.shape}] is not ${K} kv heads of ${D}`,
        );
      expectShape(cacheV, cacheK.shape, 'attention cacheV');
      const y = out([T, H * D]);
      attentionForward(
        y.data as Float32Array,
        f32(q, 'attention q'),
        f32(cacheK, 'cacheK'),
        f32(cacheV, 'cacheV'),
        i32(seq, 'attention seq'),
        i32(pos, 'attention pos'),
        T,
        P,
        H,
        K,
        D,
        opts.scale,
        opts.slidingWindow,
        opts.softcap,
      );
      return y;
    },
    gatedActivation(gateUp, activation) {
      const [T, F2] = rows2(gateUp, 'gatedActivation gateUp');
      if (F2 % 2 !== 0) {
        throw new Error(
          `cpu backend: gatedActivation gateUp [${gateUp.shape}] needs an even width`,
        );
      }
      const y = out([T, F2 / 2]);
      gatedActivationForward(y.data as Float32Array, f32(gateUp, 'gateUp'), F2 / 2, activation);
      return y;
    },
    concatRows(parts) {
      if (parts.length === 0) throw new Error('cpu backend: concatRows needs at least one part');
      const first = liveTensor(parts[0], 'concatRows part');
      const rest = first.shape.slice(1);
      for (const p of parts) {
        if (p.dtype !== first.dtype || p.shape.slice(1).join() !== rest.join()) {
          throw new Error(
            `cpu backend: concatRows parts [${p.shape}] ${p.dtype} and [${first.shape}] ${first.dtype} differ past their rows`,
          );
        }
      }
      const rows = parts.reduce((n, p) => n + p.shape[0], 0);
      const y = out([rows, ...rest], first.dtype);
      let at = 0;
      for (const p of parts) {
        const data = liveTensor(p, 'concatRows part').data;
        y.data.set(data, at);
        at += data.length;
      }
      return y;
    },
    addInPlace(a, b) {
      expectShape(b, a.shape, 'addInPlace b');
      const av = f32(a, 'addInPlace a');
      const bv = f32(b, 'addInPlace b');
      for (let i = 0; i < av.length; i++) av[i] += bv[i];
    },
    ablate(y, ablation: AblationTensors, rowPlan) {
      const [T, C] = rows2(y, 'ablate y');
      const [plans] = rows2(ablation.directions, 'ablation directions');
      expectShape(ablation.directions, [plans, C], 'ablation directions');
      expectShape(ablation.weights, [plans], 'ablation weights');
      if (ablation.inverseNorm) expectShape(ablation.inverseNorm, [C], 'ablation inverseNorm');
      if (ablation.outScale) expectShape(ablation.outScale, [plans, C], 'ablation outScale');
      const rp = rowPlan ? i32(rowPlan, 'ablate rowPlan') : null;
      if (rp) {
        expectShape(rowPlan as Tensor, [T], 'ablate rowPlan');
        for (const p of rp)
          if (p < 0 || p >= plans)
            throw new Error(`cpu backend: ablate rowPlan has plan ${p}, only ${plans} compiled`);
      }
      ablateForward(
        f32(y, 'ablate y'),
        f32(ablation.directions, 'ablation directions'),
        f32(ablation.weights, 'ablation weights'),
        ablation.inverseNorm ? f32(ablation.inverseNorm, 'ablation inverseNorm') : null,
        ablation.outScale ? f32(ablation.outScale, 'ablation outScale') : null,
        rp,
        T,
        C,
      );
    },
    gatherRows(x, rows) {
      const [T, C] = rows2(x, 'gatherRows x');
      const r = i32(rows, 'gatherRows rows');
      const y = out([r.length, C]);
      gatherRowsForward(y.data as Float32Array, f32(x, 'gatherRows x'), r, T, C);
      return y;
    },
    softcap(x, cap) {
      softcapForward(f32(x, 'softcap x'), cap);
    },
    logSoftmax(x) {
      const [R, V] = rows2(x, 'logSoftmax x');
      const y = out([R, V]);
      logSoftmaxForward(y.data as Float32Array, f32(x, 'logSoftmax x'), R, V);
      return y;
    },
    argmax(x) {
      const [R, V] = rows2(x, 'argmax x');
      const y = out([R], 'i32');
      argmaxForward(y.data as Int32Array, f32(x, 'argmax x'), R, V);
      return y;
    },
    klDivergence(logP, logQ) {
      const [R, V] = rows2(logP, 'klDivergence logP');
      expectShape(logQ, [R, V], 'klDivergence logQ');
      const y = out([R]);
      klDivergenceForward(y.data as Float32Array, f32(logP, 'logP'), f32(logQ, 'logQ'), R, V);
      return y;
    },
  };
}

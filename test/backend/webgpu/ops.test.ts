// Every WebGPU op except linear against the CPU backend, on seeded random inputs of awkward sizes
// (T=5, C=37, ...), with every op output NaN-poisoned before the op writes it. Tolerance: 1e-5
// relative (f32 arithmetic, different summation order) unless a test says otherwise.

import { describe, test } from 'node:test';
import type { AttentionOptions, Backend, Tensor } from '../../../src/backend/backend.js';
import { F32_TOL, hostF16, hostF32, openGpuCases, parity, random, randomInts } from './harness.js';

const setup = await openGpuCases();

const f = (b: Backend, data: Float32Array, shape: number[]): Tensor => b.tensor(data, shape);
const ints = (b: Backend, data: number[] | Int32Array): Tensor =>
  b.tensor(Int32Array.from(data), [data.length]);

/** causal attention options, no window or soft-cap; scale 1/√D unless given */
const causal = (
  numHeads: number,
  numKvHeads: number,
  headDim: number,
  scale = headDim ** -0.5,
): AttentionOptions => ({
  numHeads,
  numKvHeads,
  headDim,
  scale,
  slidingWindow: null,
  softcap: null,
});

/** attention of rows (seq, pos) over caches of `sequences` sequences, shapes from the options */
function attendCached(
  b: Backend,
  c: {
    q: Float32Array;
    cacheK: Float32Array;
    cacheV: Float32Array;
    seq: number[];
    pos: number[];
    sequences: number;
  },
  o: AttentionOptions,
): Tensor {
  const kd = o.numKvHeads * o.headDim;
  const positions = c.cacheK.length / (c.sequences * kd);
  return b.attention(
    f(b, c.q, [c.seq.length, o.numHeads * o.headDim]),
    f(b, c.cacheK, [c.sequences, positions, kd]),
    f(b, c.cacheV, [c.sequences, positions, kd]),
    ints(b, c.seq),
    ints(b, c.pos),
    o,
  );
}

describe('webgpu ops vs cpu', { skip: setup.skip }, () => {
  // ops that read weights: every weight storage the adapter offers
  for (const { label, gpu, matrixTol } of setup.cases) {
    describe(label, () => {
      test('embed and gatherRows', async () => {
        const table = hostF16([23, 37]);
        const ids = [0, 22, 5, 5, 13];
        await parity(
          gpu,
          (b) => b.embed(b.weight('embed', table), ints(b, ids), Math.sqrt(37)),
          F32_TOL,
          'embed',
        );
        const x = random(7 * 37);
        await parity(
          gpu,
          (b) => b.gatherRows(f(b, x, [7, 37]), ints(b, [6, 0, 3])),
          F32_TOL,
          'gatherRows',
        );
      });

      test('rowNorms', async () => {
        const w = hostF16([19, 37]);
        await parity(gpu, (b) => b.rowNorms(b.weight('w', w)), F32_TOL, 'rowNorms');
      });

      test('linearTransposed', async () => {
        const w = hostF16([19, 37]);
        for (const T of [1, 5]) {
          const x = random(T * 19);
          await parity(
            gpu,
            (b) => b.linearTransposed(f(b, x, [T, 19]), b.weight('w', w)),
            F32_TOL,
            `linearTransposed T=${T}`,
          );
        }
      });

      test('concatRows of weights with odd element counts, then a linear over the joined rows', async () => {
        const parts = [hostF16([3, 37]), hostF16([4, 37]), hostF16([5, 37])];
        const joined = (b: Backend) => b.concatRows(parts.map((p, i) => b.weight(`w${i}`, p)));
        await parity(gpu, joined, F32_TOL, 'concatRows weights');
        const x = random(9 * 37);
        await parity(
          gpu,
          (b) => b.linear(f(b, x, [9, 37]), joined(b)),
          matrixTol,
          'linear of joined',
        );
      });

      test('weights: f32 and bf16 host tensors', async () => {
        const w32 = random(19 * 37);
        const x = random(3 * 37);
        // f32 host weights may be rounded to f16 on upload: compare against the f16 rounding
        const tol = gpu.weightDType === 'f16' ? 2e-3 : F32_TOL;
        await parity(
          gpu,
          (b) => b.linear(f(b, x, [3, 37]), b.weight('w32', hostF32([19, 37], w32))),
          tol,
          'f32 weight',
        );
        const bf = Uint16Array.from(
          random(19 * 37),
          (v) => new Uint32Array(new Float32Array([v]).buffer)[0] >>> 16,
        );
        const hostBf16 = {
          shape: [19, 37],
          dtype: 'bf16' as const,
          bytes: new Uint8Array(bf.buffer),
        };
        await parity(
          gpu,
          (b) => b.linear(f(b, x, [3, 37]), b.weight('wbf16', hostBf16)),
          F32_TOL,
          'bf16 weight',
        );
      });
    });
  }

  // ops on activations only: the kernels do not depend on the weight storage, one backend is enough
  describe('activations', () => {
    const gpu = setup.cases[0]?.gpu;
    test('rmsNorm over rows and per head, offsets 0 and 1', async () => {
      const x = random(5 * 37, -3, 3);
      const w = hostF16([37]);
      for (const offset of [0, 1]) {
        await parity(
          gpu,
          (b) => b.rmsNorm(f(b, x, [5, 37]), b.weight('norm', w), 1e-6, offset),
          F32_TOL,
          `rmsNorm offset ${offset}`,
        );
      }
      const q = random(5 * 3 * 10);
      const wq = hostF16([10]);
      await parity(
        gpu,
        (b) => b.rmsNorm(f(b, q, [5, 30]), b.weight('q_norm', wq), 1e-6, 0),
        F32_TOL,
        'rmsNorm per head',
      );
      const wide = random(3 * 1000);
      const ww = hostF16([1000]);
      await parity(
        gpu,
        (b) => b.rmsNorm(f(b, wide, [3, 1000]), b.weight('wide', ww), 1e-5, 0),
        F32_TOL,
        'rmsNorm wide',
      );
    });

    test('attentionInputs: rope full and partial, q/k norm, k and v into the cache', async () => {
      // one sequence up to position 40000 (rope's range reduction), K = 1, and a second case
      // with q/k norms (Gemma's 1 + w) and partial rotary with an attention factor
      const [H, K, D] = [3, 1, 10];
      const positions = [0, 1, 7, 300, 40000];
      const P = 40001;
      const qkv = random(5 * (H + 2 * K) * D, -2, 2);
      const cache = random(P * K * D);
      const norms = { q: random(D), k: random(D) };
      for (const [rotaryDim, factor, norm] of [
        [10, 1, false],
        [6, 1.3, true],
      ] as const) {
        const invFreq = Float32Array.from(
          { length: rotaryDim / 2 },
          (_, i) => 10000 ** ((-2 * i) / rotaryDim),
        );
        const run = (b: Backend, which: 'q' | 'k' | 'v'): Tensor => {
          const k = f(b, cache, [1, P, K * D]);
          const v = f(b, cache, [1, P, K * D]);
          const q = b.attentionInputs(
            f(b, qkv, [5, (H + 2 * K) * D]),
            k,
            v,
            ints(b, [0, 0, 0, 0, 0]),
            ints(b, positions),
            {
              numHeads: H,
              numKvHeads: K,
              headDim: D,
              invFreq: f(b, invFreq, [rotaryDim / 2]),
              rotaryDim,
              attentionFactor: factor,
              qkNorm: norm
                ? { q: f(b, norms.q, [D]), k: f(b, norms.k, [D]), eps: 1e-6, offset: 1 }
                : null,
            },
          );
          return { q, k, v }[which];
        };
        for (const which of ['q', 'k', 'v'] as const) {
          await parity(
            gpu,
            (b) => run(b, which),
            which === 'v' ? 0 : F32_TOL,
            `attentionInputs ${which}, rotaryDim ${rotaryDim}${norm ? ', q/k norm' : ''}`,
          );
        }
      }
    });

    describe('attentionInputs and attention', () => {
      // two sequences of a ragged batch: seq 0 rows at positions 4..6, seq 1 at 2..3; the cache
      // already holds earlier positions (random), as after a previous step
      const S = 2;
      const P = 11;
      const K = 2;
      const H = 6;
      const seq = [0, 0, 0, 1, 1];
      const pos = [4, 5, 6, 2, 3];
      for (const D of [20, 72]) {
        const cacheK = random(S * P * K * D);
        const cacheV = random(S * P * K * D);
        const qkv = random(5 * (H + 2 * K) * D, -2, 2);
        const invFreq = Float32Array.from({ length: D / 2 }, (_, i) => 10000 ** ((-2 * i) / D));
        const run = (b: Backend, opts: AttentionOptions): Tensor => {
          const k = f(b, cacheK, [S, P, K * D]);
          const v = f(b, cacheV, [S, P, K * D]);
          const q = b.attentionInputs(
            f(b, qkv, [5, (H + 2 * K) * D]),
            k,
            v,
            ints(b, seq),
            ints(b, pos),
            {
              numHeads: H,
              numKvHeads: K,
              headDim: D,
              invFreq: f(b, invFreq, [D / 2]),
              rotaryDim: D,
              attentionFactor: 1,
              qkNorm: null,
            },
          );
          return b.attention(q, k, v, ints(b, seq), ints(b, pos), opts);
        };
        const base = causal(H, K, D);
        test(`attention D=${D}: causal, sliding window, soft-capping`, async () => {
          await parity(gpu, (b) => run(b, base), F32_TOL, 'attention causal');
          await parity(
            gpu,
            (b) => run(b, { ...base, slidingWindow: 3 }),
            F32_TOL,
            'attention window 3',
          );
          await parity(gpu, (b) => run(b, { ...base, softcap: 0.5 }), F32_TOL, 'attention softcap');
        });
      }
      test('attention over more positions than one block (online softmax across blocks)', async () => {
        const D = 16;
        const Pl = 150;
        const cacheK = random(Pl * K * D, -2, 2);
        const cacheV = random(Pl * K * D);
        const lseq = [0, 0, 0];
        const lpos = [63, 64, 149];
        const q = random(3 * H * D, -2, 2);
        const opts = causal(H, K, D, 0.25);
        const run = (b: Backend, o: AttentionOptions): Tensor =>
          attendCached(b, { q, cacheK, cacheV, seq: lseq, pos: lpos, sequences: 1 }, o);
        await parity(gpu, (b) => run(b, opts), F32_TOL, 'attention long');
        await parity(
          gpu,
          (b) => run(b, { ...opts, slidingWindow: 70 }),
          F32_TOL,
          'attention long window',
        );
      });
      // one query head per KV head (MHA) and eight (Llama-3-70B's grouping), at a real head dim
      for (const [Hg, Kg, D] of [
        [3, 3, 24],
        [16, 2, 128],
      ]) {
        test(`attention with ${Hg / Kg} query heads per KV head, D=${D}`, async () => {
          const Pg = 40;
          const gseq = [0, 1, 1, 0];
          const gpos = [39, 0, 33, 5];
          const cacheK = random(2 * Pg * Kg * D, -2, 2);
          const cacheV = random(2 * Pg * Kg * D);
          const q = random(4 * Hg * D);
          const opts = causal(Hg, Kg, D);
          await parity(
            gpu,
            (b) => attendCached(b, { q, cacheK, cacheV, seq: gseq, pos: gpos, sequences: 2 }, opts),
            F32_TOL,
            `attention G=${Hg / Kg}`,
          );
        });
      }
    });

    test('concatRows of activations', async () => {
      const a = random(2 * 13);
      const b3 = random(3 * 13);
      await parity(
        gpu,
        (b) => b.concatRows([f(b, a, [2, 13]), f(b, b3, [3, 13])]),
        0,
        'concatRows',
      );
    });

    test('gatedActivation (SiLU, GELU-tanh), addInPlace, softcap', async () => {
      const gate = random(5 * 37, -6, 6);
      const up = random(5 * 37);
      const gateUp = random(5 * 74, -6, 6);
      for (const act of ['silu', 'gelu_tanh'] as const)
        await parity(gpu, (b) => b.gatedActivation(f(b, gateUp, [5, 74]), act), F32_TOL, act);
      await parity(
        gpu,
        (b) => {
          const a = f(b, gate, [5, 37]);
          b.addInPlace(a, f(b, up, [5, 37]));
          return a;
        },
        F32_TOL,
        'addInPlace',
      );
      const logits = random(5 * 37, -100, 100);
      await parity(
        gpu,
        (b) => {
          const x = f(b, logits, [5, 37]);
          b.softcap(x, 30);
          return x;
        },
        F32_TOL,
        'softcap',
      );
    });

    test('ablate: modes none/pre/full, one plan and per-row plans', async () => {
      const T = 5;
      const C = 37;
      const Pn = 3;
      const y = random(T * C);
      const dirs = random(Pn * C);
      const weights = random(Pn, 0, 1.5);
      const inverseNorm = random(C, 0.5, 2);
      const outScale = random(Pn * C, 0.5, 2);
      const plan = [2, 0, 1, 1, 2];
      for (const [mode, norms] of [
        ['none', false],
        ['full', true],
      ] as const) {
        for (const perRow of [false, true]) {
          await parity(
            gpu,
            (b) => {
              const t = f(b, y, [T, C]);
              const ablation = {
                directions: f(b, dirs, [Pn, C]),
                weights: f(b, weights, [Pn]),
                inverseNorm: norms ? f(b, inverseNorm, [C]) : null,
                outScale: norms ? f(b, outScale, [Pn, C]) : null,
              };
              b.ablate(t, ablation, perRow ? ints(b, plan) : null);
              return t;
            },
            F32_TOL,
            `ablate ${mode} ${perRow ? 'per-row plans' : 'plan 0'}`,
          );
        }
      }
    });

    test('logSoftmax, argmax (ties → lowest index), klDivergence over a large odd vocabulary', async () => {
      const R = 3;
      const V = 1531;
      const x = random(R * V, -20, 20);
      x[V + 17] = 50; // a tie in row 1: the lower index must win
      x[V + 900] = 50;
      await parity(gpu, (b) => b.logSoftmax(f(b, x, [R, V])), F32_TOL, 'logSoftmax');
      await parity(gpu, (b) => b.argmax(f(b, x, [R, V])), 0, 'argmax');
      const y = random(R * V, -20, 20);
      await parity(
        gpu,
        (b) => b.klDivergence(b.logSoftmax(f(b, x, [R, V])), b.logSoftmax(f(b, y, [R, V]))),
        1e-4, // a sum of V terms of mixed sign: relative to the result, not to each term
        'klDivergence',
      );
    });

    test('argmax on more rows than one grid dimension holds', async () => {
      const R = 66000;
      const x = randomInts(R * 3, 0, 4);
      await parity(gpu, (b) => b.argmax(f(b, Float32Array.from(x), [R, 3])), 0, 'argmax 2-D grid');
    });

    test('zeros are zero even with poisoned outputs', async () => {
      await parity(gpu, (b) => b.zeros([3, 37], 'f32'), 0, 'zeros');
    });
  });
});

// Inputs, timing and checking shared by the WebGPU kernel benchmarks (gemm.ts, decode-linears.ts):
// seeded random f16 weights and f32 activations, wall-clock timing of many ops per submit, and
// a sampled f64 reference for y = x·Wᵀ.

import type { Tensor } from '../src/backend/backend.js';
import { f16Table } from '../src/backend/webgpu/half.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';

let seed = 12345;
export function rand(): number {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 2 ** 32;
}

/** f16 bits with magnitude in [0.125, 1) and random sign; fresh for 16M values, tiled beyond */
export function randomHalves(n: number): Uint16Array {
  const out = new Uint16Array(n);
  const fresh = Math.min(n, 1 << 24);
  for (let i = 0; i < fresh; i++) {
    const r = (rand() * 2 ** 32) >>> 0;
    out[i] = (r & 0x8000) | (0x3000 + ((r >>> 16) % 0xc00));
  }
  for (let o = fresh; o < n; o += fresh) out.copyWithin(o, 0, Math.min(fresh, n - o));
  return out;
}

export function randomFloats(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rand() * 2 - 1);
}

export const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];

/** ms per op: `count` ops recorded back to back, 5 repetitions after a warm-up; median and best */
export async function timeOp(
  gpu: WebGpuBackend,
  op: () => Tensor,
  count: number,
): Promise<{ ms: number; best: number }> {
  gpu.dispose(op());
  await gpu.sync();
  const reps: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    for (let i = 0; i < count; i++) gpu.dispose(op());
    await gpu.sync();
    reps.push((performance.now() - start) / count);
  }
  return { ms: median(reps), best: Math.min(...reps) };
}

/** relative L2 error of `samples` sampled outputs of y = x·Wᵀ against an f64 reference */
export async function checkLinear(
  gpu: WebGpuBackend,
  y: Tensor,
  x: Float32Array,
  w: Uint16Array,
  T: number,
  N: number,
  K: number,
  samples = 256,
): Promise<number> {
  const out = (await gpu.read(y)) as Float32Array;
  const table = f16Table();
  let num = 0;
  let den = 0;
  for (let s = 0; s < samples; s++) {
    const t = Math.floor(rand() * T);
    const n = Math.floor(rand() * N);
    let ref = 0;
    for (let k = 0; k < K; k++) ref += x[t * K + k] * table[w[n * K + k]];
    const v = out[t * N + n];
    if (!Number.isFinite(v)) return Number.POSITIVE_INFINITY;
    num += (v - ref) ** 2;
    den += ref * ref;
  }
  return Math.sqrt(num / den);
}

// Shared setup of the WebGPU parity tests: the backend variants to test on this adapter, seeded
// random inputs (f16-exact where weights are stored as f16), and a comparison against the CPU
// backend. Without an adapter the tests skip, unless CANDOR_REQUIRE_WEBGPU is set (CI).

import assert from 'node:assert/strict';
import type { Backend, HostTensor, Tensor } from '../../../src/backend/backend.js';
import { createCpuBackend } from '../../../src/backend/cpu/index.js';
import { f16Table, f32ToF16Bits } from '../../../src/backend/webgpu/half.js';
import {
  createWebGpuBackend,
  type WebGpuBackend,
  type WebGpuOptions,
} from '../../../src/backend/webgpu/index.js';

export const cpu = createCpuBackend();

/** One backend configuration under test, with the tolerance of its matrix path. */
export interface GpuCase {
  label: string;
  gpu: WebGpuBackend;
  /** relative tolerance of linear for more than 8 rows (f16 activations on subgroup matrices) */
  matrixTol: number;
}

export interface GpuSetup {
  /** false, or why the tests skip */
  skip: string | false;
  cases: GpuCase[];
}

/** f32 arithmetic throughout: sums in a different order than the CPU's, nothing else. */
export const F32_TOL = 1e-5;
/** Subgroup-matrix linear: activations rounded to f16 (2⁻¹¹ relative) before f32 accumulation. */
export const SUBGROUP_MATRIX_TOL = 4e-3;

/**
 * Opens the configurations worth testing here: f32 weights, f16 weights read as packed halves,
 * and (where the adapter offers it) the subgroup-matrix path. Every output is NaN-poisoned first.
 */
export async function openGpuCases(): Promise<GpuSetup> {
  const configs: [string, WebGpuOptions, number][] = [
    ['f32 weights', { weightDType: 'f32' }, F32_TOL],
    ['f16 weights, tiled', { weightDType: 'f16', subgroupMatrix: false }, F32_TOL],
  ];
  const cases: GpuCase[] = [];
  try {
    for (const [label, opts, matrixTol] of configs) {
      cases.push({
        label,
        gpu: await createWebGpuBackend({ ...opts, poisonOutputs: true }),
        matrixTol,
      });
    }
    const native = await createWebGpuBackend({ poisonOutputs: true });
    if (native.linearKernel === 'subgroup-matrix') {
      cases.push({
        label: 'f16 weights, subgroup matrix',
        gpu: native,
        matrixTol: SUBGROUP_MATRIX_TOL,
      });
    } else native.destroy();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (process.env.CANDOR_REQUIRE_WEBGPU)
      throw new Error(`CANDOR_REQUIRE_WEBGPU is set but ${message}`);
    return { skip: `WebGPU tests skipped: ${message}`, cases: [] };
  }
  console.log(`# WebGPU adapter: ${cases[0].gpu.description}; seed ${SEED}`);
  return { skip: false, cases };
}

// --- seeded random inputs (SEED=… reproduces a run) ---

export const SEED = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
let state = SEED >>> 0 || 1;
function next(): number {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 2 ** 32;
}

/** uniform in [lo, hi) */
export function random(n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
}

export function randomInts(n: number, lo: number, hi: number): Int32Array {
  return Int32Array.from({ length: n }, () => lo + Math.floor(next() * (hi - lo)));
}

/** A weight stored as f16 bytes (exact on both backends whatever their weight dtype). */
export function hostF16(shape: number[], lo = -1, hi = 1): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const bits = Uint16Array.from(random(n, lo, hi), (v) => f32ToF16Bits(v));
  return { shape, dtype: 'f16', bytes: new Uint8Array(bits.buffer) };
}

/** Values of an f16 host tensor. */
export function valuesOf(h: HostTensor): Float32Array {
  const table = f16Table();
  return Float32Array.from(
    new Uint16Array(h.bytes.buffer, h.bytes.byteOffset, h.bytes.byteLength / 2),
    (b) => table[b],
  );
}

export function hostF32(shape: number[], data: Float32Array): HostTensor {
  return {
    shape,
    dtype: 'f32',
    bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

// --- comparison ---

/**
 * |actual − expected| ≤ tol · (|expected| + rms(expected)) element-wise; NaN (an unwritten,
 * poisoned element) never passes.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let ss = 0;
  for (let i = 0; i < expected.length; i++) ss += expected[i] * expected[i];
  const rms = Math.sqrt(ss / Math.max(1, expected.length));
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= tol * (Math.abs(expected[i]) + rms))) {
      assert.fail(
        `${what}[${i}] = ${actual[i]}, expected ${expected[i]} (tol ${tol}, rms ${rms.toExponential(2)}, seed ${SEED})`,
      );
    }
  }
}

/** Builds the same computation on the CPU and the GPU backend and compares the results. */
export async function parity(
  gpu: Backend,
  build: (b: Backend) => Tensor,
  tol: number,
  what: string,
): Promise<void> {
  const expected = await cpu.read(build(cpu));
  const actual = await gpu.read(build(gpu));
  if (expected instanceof Int32Array)
    assert.deepEqual([...actual], [...expected], `${what} (seed ${SEED})`);
  else assertClose(actual, expected, tol, what);
}

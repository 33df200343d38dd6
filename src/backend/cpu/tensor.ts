// CpuTensor: a typed array plus its shape. Disposal is tracked (not needed for memory on the CPU)
// so that a use after dispose, which would corrupt results on the GPU, fails loudly here too.

import type { DType, Tensor } from '../backend.js';

export class CpuTensor implements Tensor {
  disposed = false;
  constructor(
    readonly data: Float32Array | Int32Array,
    readonly shape: readonly number[],
    readonly dtype: 'f32' | 'i32',
  ) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new Error(`cpu tensor: shape [${shape}] holds ${size} values, data has ${data.length}`);
    }
  }
}

export function live(t: Tensor, what: string): CpuTensor {
  if (!(t instanceof CpuTensor)) throw new Error(`cpu backend: ${what} is not a CPU tensor`);
  if (t.disposed) throw new Error(`cpu backend: ${what} [${t.shape}] was used after dispose`);
  return t;
}

/** The f32 data of `t`, checking that it is a live f32 CPU tensor. */
export function f32(t: Tensor, what: string): Float32Array {
  const c = live(t, what);
  if (c.dtype !== 'f32') throw new Error(`cpu backend: ${what} must be f32, got ${c.dtype}`);
  return c.data as Float32Array;
}

/** The i32 data of `t`, checking that it is a live i32 CPU tensor. */
export function i32(t: Tensor, what: string): Int32Array {
  const c = live(t, what);
  if (c.dtype !== 'i32') throw new Error(`cpu backend: ${what} must be i32, got ${c.dtype}`);
  return c.data as Int32Array;
}

export function makeTensor(shape: readonly number[], dtype: DType): CpuTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'i32') return new CpuTensor(new Int32Array(size), [...shape], 'i32');
  if (dtype === 'f32') return new CpuTensor(new Float32Array(size), [...shape], 'f32');
  throw new Error(`cpu backend: dtype ${dtype} is not stored on the CPU; use f32`);
}

export function dispose(t: Tensor): void {
  live(t, 'disposed tensor').disposed = true;
}

// Host-side half-precision conversions for weight upload and readback: f32 → f16 bits (round to
// nearest even), f16 → f32 through a 65,536-entry table. (bf16 → f16 runs on the GPU:
// bf16ToHalfKernel.) Overflow (a finite value outside ±65504) is an error naming the tensor,
// never a silent infinity.

import type { HostTensor } from '../backend.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** f32 value → f16 bit pattern, round to nearest even; overflow gives ±Inf, NaN stays NaN. */
export function f32ToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | (mant ? 0x7e00 : 0x7c00);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // subnormal f16 (or zero): shift the implicit-one mantissa, rounding to nearest even
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let h = m >>> shift;
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // a carry into the exponent is correct
  return sign | h;
}

let f16ToF32Table: Float32Array | null = null;
/** f16 bit pattern → f32 value (all 65,536 patterns). */
export function f16Table(): Float32Array {
  if (f16ToF32Table) return f16ToF32Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 31;
    const m = h & 1023;
    if (e === 0) t[h] = s * m * 2 ** -24;
    else if (e === 31) t[h] = m ? Number.NaN : s * Number.POSITIVE_INFINITY;
    else t[h] = s * (1 + m / 1024) * 2 ** (e - 15);
  }
  f16ToF32Table = t;
  return t;
}

/** A weight element that f16 cannot hold (`value` where the host saw it). */
export function f16RangeError(name: string, index: number, value?: number): Error {
  const element = value === undefined ? `element ${index}` : `element ${index} = ${value}`;
  return new Error(
    `weight ${name}: ${element} is outside the f16 range (±65504); load this model with f32 weights (createWebGpuBackend({ weightDType: 'f32' })) or use --backend cpu`,
  );
}

/** Element count of a host tensor from its shape. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Writes an f16 or f32 `host` as f16 bits into `out` (length ≥ element count). */
export function toF16(name: string, host: HostTensor, out: Uint16Array): void {
  const n = elementCount(host.shape);
  const src = host.bytes;
  if (host.dtype === 'f16') {
    new Uint8Array(out.buffer, out.byteOffset, n * 2).set(src.subarray(0, n * 2));
    return;
  }
  if (host.dtype !== 'f32')
    throw new Error(`internal: toF16 of ${host.dtype} (bf16 converts on the GPU)`);
  const x = alignedF32(src, n);
  for (let i = 0; i < n; i++) {
    const h = f32ToF16Bits(x[i]);
    if ((h & 0x7fff) === 0x7c00 && Number.isFinite(x[i])) throw f16RangeError(name, i, x[i]);
    out[i] = h;
  }
}

/** Writes `host` converted to f32 into `out` (length ≥ element count). */
export function toF32(host: HostTensor, out: Float32Array): void {
  const n = elementCount(host.shape);
  const src = host.bytes;
  if (host.dtype === 'f32') {
    new Uint8Array(out.buffer, out.byteOffset, n * 4).set(src.subarray(0, n * 4));
  } else if (host.dtype === 'bf16') {
    const b = alignedU16(src, n);
    const bits = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) bits[i] = b[i] << 16;
  } else {
    const table = f16Table();
    const h = alignedU16(src, n);
    for (let i = 0; i < n; i++) out[i] = table[h[i]];
  }
}

// Typed-array views need aligned offsets; safetensors slices of a Buffer may not be.
function alignedU16(bytes: Uint8Array, n: number): Uint16Array {
  if (bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  return new Uint16Array(bytes.slice(0, n * 2).buffer);
}
function alignedF32(bytes: Uint8Array, n: number): Float32Array {
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
  return new Float32Array(bytes.slice(0, n * 4).buffer);
}

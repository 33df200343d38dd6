// f32 values → the bytes of a stored dtype (safetensors little-endian f32, bf16, f16), rounding
// to nearest, ties to even, as torch's `.to(dtype)` does. Used when baked weights are written.

import type { HostTensor } from '../backend/backend.js';

/** bf16 bits of the f32 with bits `x`: round to nearest even; NaN stays a (quiet) NaN. */
export function bf16Bits(x: number): number {
  if ((x & 0x7fffffff) >>> 0 > 0x7f800000) return ((x >>> 16) | 0x0040) & 0xffff;
  return ((x >>> 0) + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

/** f16 bits of the f32 with bits `x`: round to nearest even; overflow → ±inf; NaN → quiet NaN. */
export function f16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | (mant ? 0x7e00 : 0x7c00);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // subnormal f16: value / 2^-24, from the 24-bit significand
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // a carry out of the mantissa correctly bumps the exponent (up to inf)
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** Little-endian bytes of `values` in `dtype`. */
export function encodeF32(values: Float32Array, dtype: HostTensor['dtype']): Uint8Array {
  if (dtype === 'f32')
    return new Uint8Array(
      values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength),
    );
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  const round = dtype === 'bf16' ? bf16Bits : f16Bits;
  for (let i = 0; i < values.length; i++) out[i] = round(bits[i]);
  return new Uint8Array(out.buffer);
}

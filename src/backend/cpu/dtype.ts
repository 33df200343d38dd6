// Stored dtypes (safetensors f32/f16/bf16 bytes) → Float32Array. bf16 is the top half of an f32;
// f16 goes through a 65,536-entry table built once, which is exact and fast.

import type { HostTensor } from '../backend.js';

let f16Table: Float32Array | null = null;

/** f32 value of every f16 bit pattern (subnormals, infinities and NaNs included). */
function f16ToF32Table(): Float32Array {
  if (f16Table) return f16Table;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) table[h] = sign * frac * 2 ** -24;
    else if (exp === 31) table[h] = frac === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
    else table[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  f16Table = table;
  return table;
}

/** Decode a host tensor's little-endian bytes into a fresh Float32Array. */
export function hostToF32(name: string, t: HostTensor): Float32Array {
  const count = t.shape.reduce((a, b) => a * b, 1);
  const width = t.dtype === 'f32' ? 4 : 2;
  if (t.bytes.byteLength !== count * width) {
    throw new Error(
      `tensor ${name}: shape [${t.shape}] ${t.dtype} needs ${count * width} bytes, got ${t.bytes.byteLength}`,
    );
  }
  // copy first: the bytes may sit at an offset that is not a multiple of the element size
  const bytes = t.bytes.slice();
  if (t.dtype === 'f32') return new Float32Array(bytes.buffer, 0, count);
  const halves = new Uint16Array(bytes.buffer, 0, count);
  const out = new Float32Array(count);
  if (t.dtype === 'bf16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = halves[i] << 16;
  } else if (t.dtype === 'f16') {
    const table = f16ToF32Table();
    for (let i = 0; i < count; i++) out[i] = table[halves[i]];
  } else {
    throw new Error(`tensor ${name}: unsupported dtype ${String(t.dtype)}; use f32, f16 or bf16`);
  }
  return out;
}

// Between HostTensor (bytes in memory) and WeightStream (bytes read on demand): tensors already
// in memory stream from it, and a backend that needs the whole tensor reads it into memory.
import type { HostTensor, WeightStream } from './backend.js';

/** A tensor in memory as a WeightStream. */
export function hostStream(t: HostTensor): WeightStream {
  return {
    shape: t.shape,
    dtype: t.dtype,
    byteLength: t.bytes.byteLength,
    readInto: async (offset, dst) => dst.set(t.bytes.subarray(offset, offset + dst.length)),
  };
}

/** All of a stream's bytes, in a fresh buffer of their own. */
export async function readWhole(s: WeightStream): Promise<HostTensor> {
  // Not zero-filled: readInto writes every byte or throws. allocUnsafeSlow never takes Node's
  // shared pool, so the ArrayBuffer is the tensor's own and aligned.
  const bytes = new Uint8Array(Buffer.allocUnsafeSlow(s.byteLength).buffer, 0, s.byteLength);
  await s.readInto(0, bytes);
  return { shape: s.shape, dtype: s.dtype, bytes };
}

/** Rows [first, first + rows) of a stream whose first dimension is rows. */
export function rowsOf(s: WeightStream, first: number, rows: number): WeightStream {
  const rowBytes = s.byteLength / s.shape[0];
  return {
    shape: [rows, ...s.shape.slice(1)],
    dtype: s.dtype,
    byteLength: rows * rowBytes,
    readInto: (offset, dst) => s.readInto(first * rowBytes + offset, dst),
  };
}

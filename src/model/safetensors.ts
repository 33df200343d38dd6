// Safetensors files: a lazy reader (header first, each tensor on demand by positional reads) and a
// writer whose bytes equal Python's `safetensors.torch.save_file` for the same tensors and metadata.
// Format: u64 LE header length n, n bytes of JSON (space-padded to 8), then the raw tensor data.

import type { FileHandle } from 'node:fs/promises';
import { open, rename, rm } from 'node:fs/promises';
import type { HostTensor, WeightStream } from '../backend/backend.js';
import { readWhole } from '../backend/weight-stream.js';

/**
 * Every dtype safetensors defines, in the order of its Rust enum. The writer sorts tensors by this
 * order, descending (largest alignment first), then by name, exactly as `safetensors` does.
 */
const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;
export type SafetensorsDType = keyof typeof DTYPE_BYTES;
const DTYPE_RANK = new Map(Object.keys(DTYPE_BYTES).map((d, i) => [d, i]));

const HOST_DTYPE: Partial<Record<SafetensorsDType, HostTensor['dtype']>> = {
  F32: 'f32',
  F16: 'f16',
  BF16: 'bf16',
};
const FILE_DTYPE: Record<HostTensor['dtype'], SafetensorsDType> = {
  f32: 'F32',
  f16: 'F16',
  bf16: 'BF16',
};

/** Python's reader refuses larger headers; so do we. */
const MAX_HEADER_BYTES = 100_000_000;
/** bytes per positional read, read in parallel (Node takes at most 2 GiB − 1 at once) */
const READ_CHUNK_BYTES = 16 << 20;

export interface SafetensorsTensorInfo {
  dtype: SafetensorsDType;
  shape: number[];
  /** byte range inside the data section (after the header) */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  readonly path: string;
  /** the header's `__metadata__` (e.g. {format: 'pt'}), null when absent */
  readonly metadata: Record<string, string> | null;
  /** tensors in file order */
  readonly tensors: ReadonlyMap<string, SafetensorsTensorInfo>;
  /** read one tensor; BF16, F16 and F32 only */
  read(name: string): Promise<HostTensor>;
  /** the same, its bytes read on demand */
  stream(name: string): WeightStream;
  close(): Promise<void>;
}

/** Random access to the bytes of a safetensors file, wherever they lie (a local file, a URL). */
export interface ByteSource {
  /** total size in bytes */
  size: number;
  /** exactly dst.length bytes at `position` into dst */
  readInto(position: number, dst: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Open a safetensors file and validate its header; tensor data is read later, on demand. */
export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw new Error(`${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (e) {
    await handle.close();
    throw e;
  }
  return openSafetensorsSource(path, {
    size,
    readInto: (position, dst) => readAt(handle, position, dst),
    close: () => handle.close(),
  });
}

/** A safetensors file read from `source`; `path` names it in errors. Closes `source` on failure. */
export async function openSafetensorsSource(
  path: string,
  source: ByteSource,
): Promise<SafetensorsFile> {
  try {
    const { metadata, tensors, dataStart } = await readHeader(source, path);
    return {
      path,
      metadata,
      tensors,
      read: async (name) => readWhole(streamTensor(source, path, dataStart, tensors, name)),
      stream: (name) => streamTensor(source, path, dataStart, tensors, name),
      close: () => source.close(),
    };
  } catch (e) {
    await source.close();
    throw e;
  }
}

async function readHeader(
  source: ByteSource,
  path: string,
): Promise<{
  metadata: Record<string, string> | null;
  tensors: Map<string, SafetensorsTensorInfo>;
  dataStart: number;
}> {
  const fileBytes = source.size;
  if (fileBytes < 8) {
    throw new Error(`${path}: truncated (${fileBytes} bytes, not even the 8-byte header length)`);
  }
  const lengthBytes = await readBytes(source, 0, 8);
  const headerLength = new DataView(lengthBytes.buffer).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(
      `${path}: corrupt header (length ${headerLength} exceeds ${MAX_HEADER_BYTES} bytes; not a safetensors file?)`,
    );
  }
  const n = Number(headerLength);
  if (8 + n > fileBytes) {
    throw new Error(
      `${path}: truncated (header says its JSON is ${n} bytes, file has ${fileBytes - 8} after the length)`,
    );
  }
  const headerBytes = await readBytes(source, 8, n);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new Error(`${path}: corrupt header (not valid UTF-8)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const at = /position (\d+)/.exec(String(e));
    const where = at ? ` at byte ${Buffer.byteLength(text.slice(0, Number(at[1])))}` : '';
    throw new Error(`${path}: corrupt header (JSON parse failed${where})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${path}: corrupt header (JSON is not an object)`);
  }
  const dataBytes = fileBytes - 8 - n;
  let metadata: Record<string, string> | null = null;
  const entries: [string, SafetensorsTensorInfo][] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(path, value);
    } else {
      entries.push([name, parseTensorInfo(path, name, value)]);
    }
  }
  entries.sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let expectedBegin = 0;
  for (const [name, info] of entries) {
    if (info.begin !== expectedBegin) {
      const problem = info.begin < expectedBegin ? 'overlaps the tensor before it' : 'leaves a gap';
      throw new Error(
        `${path}: corrupt header (tensor '${name}' at data_offsets [${info.begin}, ${info.end}] ${problem})`,
      );
    }
    expectedBegin = info.end;
  }
  if (expectedBegin > dataBytes) {
    throw new Error(
      `${path}: truncated (header says ${expectedBegin} bytes of data, file has ${dataBytes})`,
    );
  }
  if (expectedBegin < dataBytes) {
    throw new Error(
      `${path}: corrupt (header says ${expectedBegin} bytes of data, file has ${dataBytes}: trailing bytes)`,
    );
  }
  return { metadata, tensors: new Map(entries), dataStart: 8 + n };
}

function parseMetadata(path: string, value: unknown): Record<string, string> {
  const ok =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string');
  if (!ok) {
    throw new Error(`${path}: corrupt header (__metadata__ must map strings to strings)`);
  }
  return value as Record<string, string>;
}

function parseTensorInfo(path: string, name: string, value: unknown): SafetensorsTensorInfo {
  const bad = (why: string): Error =>
    new Error(`${path}: corrupt header (tensor '${name}': ${why})`);
  if (typeof value !== 'object' || value === null) throw bad('entry is not an object');
  const { dtype, shape, data_offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string' || !DTYPE_RANK.has(dtype)) {
    throw new Error(
      `${path}: tensor '${name}' has unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`,
    );
  }
  const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad('shape must be a list of sizes');
  if (!Array.isArray(data_offsets) || data_offsets.length !== 2 || !data_offsets.every(isCount)) {
    throw bad('data_offsets must be [begin, end]');
  }
  const [begin, end] = data_offsets as [number, number];
  const expected =
    shape.reduce((a: number, b: number) => a * b, 1) * DTYPE_BYTES[dtype as SafetensorsDType];
  if (end - begin !== expected) {
    throw bad(
      `data_offsets [${begin}, ${end}] hold ${end - begin} bytes, shape [${shape}] of ${dtype} needs ${expected}`,
    );
  }
  return { dtype: dtype as SafetensorsDType, shape: shape as number[], begin, end };
}

function streamTensor(
  source: ByteSource,
  path: string,
  dataStart: number,
  tensors: ReadonlyMap<string, SafetensorsTensorInfo>,
  name: string,
): WeightStream {
  const info = tensors.get(name);
  if (!info) throw new Error(`${path}: no tensor named '${name}'`);
  const dtype = HOST_DTYPE[info.dtype];
  if (!dtype) {
    throw new Error(
      `${path}: tensor '${name}' has dtype ${info.dtype}; Candor reads BF16, F16 and F32 weights`,
    );
  }
  const byteLength = info.end - info.begin;
  return {
    shape: [...info.shape],
    dtype,
    byteLength,
    readInto: async (offset, dst) => {
      if (offset < 0 || offset + dst.length > byteLength) {
        throw new Error(`internal: bytes [${offset}, +${dst.length}) of ${byteLength}`);
      }
      return source.readInto(dataStart + info.begin + offset, dst);
    },
  };
}

async function readBytes(
  source: ByteSource,
  position: number,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  await source.readInto(position, out);
  return out;
}

/** dst ← the file's bytes from `position`, in pieces read in parallel. */
async function readAt(handle: FileHandle, position: number, dst: Uint8Array): Promise<void> {
  // Pieces read in parallel on libuv's threads: one read of a whole tensor copies (and faults in
  // fresh pages) on one thread, about 1 GB/s; the page cache gives 5+ GB/s.
  const pieces: Promise<void>[] = [];
  for (let start = 0; start < dst.length; start += READ_CHUNK_BYTES) {
    pieces.push(
      readFully(handle, dst, start, Math.min(READ_CHUNK_BYTES, dst.length - start), position),
    );
  }
  await Promise.all(pieces);
}

/** out[start, start + length) ← the file from position + start, however many reads it takes. */
async function readFully(
  handle: FileHandle,
  out: Uint8Array,
  start: number,
  length: number,
  position: number,
): Promise<void> {
  for (let done = 0; done < length; ) {
    const { bytesRead } = await handle.read(
      out,
      start + done,
      length - done,
      position + start + done,
    );
    if (bytesRead === 0) {
      throw new Error(`unexpected end of file at byte ${position + start + done}`);
    }
    done += bytesRead;
  }
}

/** A tensor to write: a HostTensor, or the same with its bytes produced on demand. */
export interface TensorSource {
  shape: number[];
  dtype: HostTensor['dtype'];
  bytes: Uint8Array | (() => Promise<Uint8Array>);
}

export function tensorByteLength(t: {
  shape: readonly number[];
  dtype: HostTensor['dtype'];
}): number {
  return t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[FILE_DTYPE[t.dtype]];
}

/**
 * Header bytes (JSON padded with spaces to a multiple of 8) and the write order, following
 * safetensors' rules: tensors sorted by dtype (descending enum order) then by name (UTF-8 bytes);
 * `__metadata__` first. Python orders more than one metadata key by hash (randomly), so byte
 * equality is only defined for at most one key (transformers writes {format: 'pt'}).
 */
function serializeHeader(
  tensors: readonly (readonly [string, TensorSource])[],
  metadata: Record<string, string> | undefined,
): { header: Uint8Array; order: (readonly [string, TensorSource])[] } {
  const order = [...tensors].sort(
    ([an, a], [bn, b]) =>
      DTYPE_RANK.get(FILE_DTYPE[b.dtype])! - DTYPE_RANK.get(FILE_DTYPE[a.dtype])! ||
      Buffer.compare(Buffer.from(an), Buffer.from(bn)),
  );
  // Built by hand: a JS object would move integer-like names ("0", "1") to the front.
  const parts: string[] = [];
  if (metadata) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const [name, t] of order) {
    const n = tensorByteLength(t);
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${FILE_DTYPE[t.dtype]}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + n}]}`,
    );
    offset += n;
  }
  const json = Buffer.from(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  return { header, order };
}

/** Write a safetensors file (to a temporary name, then renamed); one tensor in memory at a time. */
export async function writeSafetensors(
  path: string,
  tensors: Iterable<readonly [string, TensorSource]> | Record<string, TensorSource>,
  metadata?: Record<string, string>,
): Promise<void> {
  const list = Symbol.iterator in tensors ? [...tensors] : Object.entries(tensors);
  const names = new Set<string>();
  for (const [name] of list) {
    if (names.has(name)) throw new Error(`${path}: tensor '${name}' given twice`);
    names.add(name);
  }
  const { header, order } = serializeHeader(list, metadata);
  const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const handle = await open(temp, 'w');
  try {
    await handle.write(header);
    for (const [name, t] of order) {
      const bytes = typeof t.bytes === 'function' ? await t.bytes() : t.bytes;
      if (bytes.byteLength !== tensorByteLength(t)) {
        throw new Error(
          `${path}: tensor '${name}' has ${bytes.byteLength} bytes, shape [${t.shape}] of ${t.dtype} needs ${tensorByteLength(t)}`,
        );
      }
      let done = 0;
      while (done < bytes.byteLength) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done);
        done += bytesWritten;
      }
    }
    await handle.close();
    await rename(temp, path);
  } catch (e) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw e;
  }
}

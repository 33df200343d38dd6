// GPU tensors and the buffer pool behind transient ones. Disposed buffers return to the pool by
// size class. Ops encoded later may reuse them at once (dispatches in one queue run in order);
// host uploads (queue.writeBuffer, which runs before any unsubmitted work) only take buffers that
// were freed before the last submit, so an upload never overwrites data pending work still reads.
// A buffer the GPU has no memory for is reported once (takeOutOfMemory) and never pooled, so a
// caller can retry with less (the batch-size search does).

import type { DType, Tensor } from '../backend.js';

export class GpuTensor implements Tensor {
  disposed = false;
  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly buffer: GPUBuffer,
    /** bytes the tensor uses (the buffer may be larger: size classes, 4-byte rounding) */
    readonly byteLength: number,
    /** pooled tensors go back to the pool; weights are destroyed on dispose */
    readonly pooled: boolean,
  ) {}
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
}

export function bytesPerElement(dtype: DType): number {
  return dtype === 'f16' ? 2 : 4;
}

/**
 * Size class: 256-byte steps below 64 KiB, then eighths of a power of two (≤ 12.5% waste). At
 * least 1 KiB: Dawn requires a subgroup-matrix store's binding to hold a whole 16×16 f32 tile.
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(bytes, 1024);
  if (b <= 65536) return Math.ceil(b / 256) * 256;
  const step = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / step) * step;
}

export const STORAGE_USAGE = (): number =>
  GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class BufferPool {
  /** free since before the last submit: any use */
  private readonly settled = new Map<number, GPUBuffer[]>();
  /** freed since the last submit: op outputs only */
  private readonly recent = new Map<number, GPUBuffer[]>();
  private readonly all = new Set<GPUBuffer>();
  /** unpooled buffers (disposed weights) to destroy once the work that may use them is submitted */
  private readonly retired: GPUBuffer[] = [];
  /** bytes held in pooled buffers, in use or free */
  heldBytes = 0;
  /** the most `heldBytes` has been */
  peakBytes = 0;
  /** buffers whose allocation failed (out of memory): invalid, dropped when seen again */
  private readonly failed = new Set<GPUBuffer>();
  /** allocation checks not yet read, and the first failure among those read */
  private checks: Promise<void>[] = [];
  private outOfMemory: Error | null = null;

  constructor(private readonly device: GPUDevice) {}

  /** A buffer of at least `bytes` for an op output (may be one freed since the last submit). */
  forOutput(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    return this.recent.get(size)?.pop() ?? this.settled.get(size)?.pop() ?? this.create(size);
  }

  /** A buffer of at least `bytes` that no unsubmitted work touches, for a host upload. */
  forUpload(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    return this.settled.get(size)?.pop() ?? this.create(size);
  }

  release(buffer: GPUBuffer): void {
    if (this.failed.has(buffer)) {
      this.drop(buffer);
      return;
    }
    const list = this.recent.get(buffer.size);
    if (list) list.push(buffer);
    else this.recent.set(buffer.size, [buffer]);
  }

  /** Destroys an unpooled buffer after the next submit (pending work may still use it). */
  retire(buffer: GPUBuffer): void {
    this.retired.push(buffer);
  }

  /** Called after every submit: buffers freed before it are safe for uploads. */
  submitted(): void {
    for (const b of this.retired) b.destroy();
    this.retired.length = 0;
    for (const [size, list] of this.recent) {
      const settled = this.settled.get(size);
      if (settled) settled.push(...list);
      else this.settled.set(size, list);
    }
    this.recent.clear();
  }

  /**
   * Destroys the free buffers that no unsubmitted work uses (submitted work keeps the memory
   * until it completes).
   */
  trim(): void {
    for (const list of this.settled.values()) {
      for (const b of list) {
        b.destroy();
        this.all.delete(b);
        this.heldBytes -= b.size;
      }
    }
    this.settled.clear();
  }

  destroy(): void {
    for (const b of this.all) b.destroy();
    for (const b of this.retired) b.destroy();
    this.retired.length = 0;
    this.all.clear();
    this.settled.clear();
    this.recent.clear();
    this.heldBytes = 0;
  }

  /**
   * Waits for the allocation checks so far and returns the first out-of-memory error among them
   * (then forgotten); the free buffers are given back too, so a smaller retry has room.
   */
  async takeOutOfMemory(): Promise<Error | null> {
    await Promise.all(this.checks.splice(0));
    const error = this.outOfMemory;
    this.outOfMemory = null;
    if (error) {
      for (const lists of [this.recent, this.settled])
        for (const [size, list] of lists) lists.set(size, this.withoutFailed(list));
      this.trim();
    }
    return error;
  }

  /** `list` less its failed buffers, which are dropped */
  private withoutFailed(list: GPUBuffer[]): GPUBuffer[] {
    const kept: GPUBuffer[] = [];
    for (const b of list) {
      if (this.failed.has(b)) this.drop(b);
      else kept.push(b);
    }
    return kept;
  }

  private drop(buffer: GPUBuffer): void {
    this.failed.delete(buffer);
    if (this.all.delete(buffer)) this.heldBytes -= buffer.size;
    buffer.destroy();
  }

  private create(size: number): GPUBuffer {
    this.device.pushErrorScope('out-of-memory');
    const buffer = this.device.createBuffer({ size, usage: STORAGE_USAGE() });
    const held = this.heldBytes;
    this.checks.push(
      this.device.popErrorScope().then((error) => {
        if (!error) return;
        this.failed.add(buffer);
        this.outOfMemory ??= new Error(
          `out of GPU memory allocating ${mib(size)} of activations with ${mib(held)} already in use (besides the weights): lower --batch-size (or max_batch_size), shorten --max-response-tokens, or use --backend cpu`,
        );
      }),
    );
    this.all.add(buffer);
    this.heldBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.heldBytes);
    return buffer;
  }
}

/** bytes for a message: MiB, or GiB from 1 GiB */
export function mib(bytes: number): string {
  return bytes >= 2 ** 30
    ? `${(bytes / 2 ** 30).toFixed(2)} GiB`
    : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

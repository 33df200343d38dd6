// Records every op into one command encoder / compute pass and submits only at read or sync
// (a dispatch costs ~5-9 µs, a submit ~35 µs on an H100). Owns the caches that make a dispatch
// cheap: pipelines by WGSL source, bind-group layouts by binding signature, bind groups by
// buffers, and the uniform chunks that carry each dispatch's Params at a dynamic offset.

import type { GpuContext } from './device.js';
import type { BufferPool } from './memory.js';
import type { Kernel } from './wgsl.js';

/**
 * Submit on our own after this many dispatches, so the GPU starts on a long recording while the
 * host encodes the rest (a submit costs ~35 µs, 64 dispatches ~500 µs of host time).
 */
const MAX_DISPATCHES_PER_SUBMIT = 64;
/** Bytes per uniform chunk (256 dispatch slots at the usual 256-byte offset alignment). */
const CHUNK_BYTES = 65536;
/** Bind groups cached at most; the cache is cleared when it grows past this. */
const MAX_BIND_GROUPS = 8192;

interface UniformChunk {
  buffer: GPUBuffer;
  data: ArrayBuffer;
  u32: Uint32Array;
  i32: Int32Array;
  f32: Float32Array;
  used: number;
}

/** GPU time of one kernel label over a profile (see `Recorder.startProfile`). */
export interface KernelTime {
  label: string;
  dispatches: number;
  ms: number;
}

/** Timestamp queries of the dispatches of one submit, resolved into `staging` after it. */
interface ProfileSlots {
  querySet: GPUQuerySet;
  resolve: GPUBuffer;
  staging: GPUBuffer;
  labels: string[];
}

interface Profile {
  free: ProfileSlots[];
  current: ProfileSlots | null;
  pending: Promise<void>[];
  totals: Map<string, { dispatches: number; ns: bigint }>;
}

interface Pipeline {
  pipeline: GPUComputePipeline;
  layoutKey: string;
}

export class Recorder {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  private readonly pipelines = new Map<string, Pipeline>();
  private readonly layouts = new Map<
    string,
    { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }
  >();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private readonly chunks: UniformChunk[] = [];
  private chunk = 0;
  private readonly slot: number;
  private readonly readbacks = new Map<number, GPUBuffer[]>();
  private profile: Profile | null = null;
  /** total dispatches and submits, for tests and benchmarks */
  readonly stats = { dispatches: 0, submits: 0 };

  constructor(
    private readonly ctx: GpuContext,
    private readonly pool: BufferPool,
  ) {
    this.slot = Math.max(256, ctx.limits.minUniformBufferOffsetAlignment);
  }

  private get device(): GPUDevice {
    return this.ctx.device;
  }

  /** Throws the first uncaptured error or the device loss, if any. */
  check(): void {
    const failure = this.ctx.failure();
    if (failure) throw failure;
  }

  /**
   * Times every dispatch from now until `stopProfile` on the GPU, by label. Each dispatch gets
   * its own compute pass with timestamps at its start and end, which adds a little time between
   * dispatches: compare labels with each other, and the wall clock only without a profile.
   */
  startProfile(): void {
    if (!this.ctx.timestamps)
      throw new Error(`${this.ctx.adapterName} has no timestamp queries: no kernel profile`);
    this.flush();
    this.profile = { free: [], current: null, pending: [], totals: new Map() };
  }

  /** Ends the profile: GPU milliseconds and dispatches per label, most time first. */
  async stopProfile(): Promise<KernelTime[]> {
    const profile = this.profile;
    if (!profile) throw new Error('internal: stopProfile without startProfile');
    await this.sync();
    await Promise.all(profile.pending);
    this.profile = null;
    for (const slots of profile.free) {
      slots.querySet.destroy();
      slots.resolve.destroy();
      slots.staging.destroy();
    }
    return [...profile.totals]
      .map(([label, t]) => ({ label, dispatches: t.dispatches, ms: Number(t.ns) / 1e6 }))
      .sort((a, b) => b.ms - a.ms);
  }

  dispatch(
    kernel: Kernel,
    buffers: Record<string, GPUBuffer>,
    params: Record<string, number>,
    groups: readonly number[],
    label = 'kernel',
  ): void {
    this.check();
    const { pipeline, layoutKey } = this.pipelineFor(kernel);
    const [chunkIndex, offset] = this.writeParams(kernel, params);
    const chunk = this.chunks[chunkIndex];
    const bound = kernel.buffers.map((b) => {
      const buffer = buffers[b.name];
      if (!buffer) throw new Error(`internal: kernel buffer '${b.name}' not bound`);
      return buffer;
    });
    const key = `${layoutKey}|${bound.map((b) => this.idOf(b)).join(',')}|${chunkIndex}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
      const entries: GPUBindGroupEntry[] = bound.map((buffer, binding) => ({
        binding,
        resource: { buffer },
      }));
      entries.push({ binding: bound.length, resource: { buffer: chunk.buffer, size: this.slot } });
      group = this.device.createBindGroup({ layout: this.layoutFor(kernel).group, entries });
      this.bindGroups.set(key, group);
    }
    if (this.profile) {
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass({ timestampWrites: this.timestampSlot(label) });
    } else if (!this.pass) {
      this.encoder = this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
    }
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, group, [offset]);
    this.pass.dispatchWorkgroups(groups[0], groups[1] ?? 1, groups[2] ?? 1);
    if (this.profile) {
      this.pass.end();
      this.pass = null;
    }
    this.dispatches++;
    this.stats.dispatches++;
    if (this.dispatches >= MAX_DISPATCHES_PER_SUBMIT) this.flush();
  }

  /** Ends the pass, lets `extra` add copies, writes the uniforms and submits. */
  flush(extra?: (encoder: GPUCommandEncoder) => void): void {
    if (!this.encoder && !extra) return;
    const encoder = this.encoder ?? this.device.createCommandEncoder();
    this.pass?.end();
    const timed = this.profile?.current;
    if (timed) {
      const count = 2 * timed.labels.length;
      encoder.resolveQuerySet(timed.querySet, 0, count, timed.resolve, 0);
      encoder.copyBufferToBuffer(timed.resolve, 0, timed.staging, 0, 8 * count);
    }
    extra?.(encoder);
    for (const c of this.chunks) {
      if (c.used > 0) this.device.queue.writeBuffer(c.buffer, 0, c.data, 0, c.used);
      c.used = 0;
    }
    this.chunk = 0;
    this.device.queue.submit([encoder.finish()]);
    this.stats.submits++;
    this.encoder = null;
    this.pass = null;
    this.dispatches = 0;
    this.pool.submitted();
    if (timed && this.profile) {
      this.profile.current = null;
      this.profile.pending.push(this.collect(this.profile, timed));
    }
  }

  /** The query slots of the next profiled dispatch (a new set of slots for each submit). */
  private timestampSlot(label: string): GPUComputePassTimestampWrites {
    const profile = this.profile as Profile;
    if (!profile.current) {
      const count = 2 * MAX_DISPATCHES_PER_SUBMIT;
      profile.current = profile.free.pop() ?? {
        querySet: this.device.createQuerySet({ type: 'timestamp', count }),
        resolve: this.device.createBuffer({
          size: 8 * count,
          usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
        }),
        staging: this.device.createBuffer({
          size: 8 * count,
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        }),
        labels: [],
      };
    }
    const slots = profile.current;
    const index = slots.labels.length;
    slots.labels.push(label);
    return {
      querySet: slots.querySet,
      beginningOfPassWriteIndex: 2 * index,
      endOfPassWriteIndex: 2 * index + 1,
    };
  }

  private async collect(profile: Profile, slots: ProfileSlots): Promise<void> {
    await this.untilLost(slots.staging.mapAsync(GPUMapMode.READ));
    const ticks = new BigUint64Array(slots.staging.getMappedRange(), 0, 2 * slots.labels.length);
    slots.labels.forEach((label, i) => {
      const t = profile.totals.get(label) ?? { dispatches: 0, ns: 0n };
      t.dispatches++;
      // a pass whose end reads before its start (clock domains) counts as zero
      if (ticks[2 * i + 1] > ticks[2 * i]) t.ns += ticks[2 * i + 1] - ticks[2 * i];
      profile.totals.set(label, t);
    });
    slots.staging.unmap();
    slots.labels = [];
    profile.free.push(slots);
  }

  /** Submits pending work and waits for the GPU to finish it. */
  async sync(): Promise<void> {
    this.flush();
    await this.untilLost(this.device.queue.onSubmittedWorkDone());
    this.check();
  }

  /** Copies `bytes` (a multiple of 4) of `buffer` back to the host after all pending work. */
  async read(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    this.check();
    const size = Math.max(4, bytes);
    const free = this.readbacks.get(size);
    const staging =
      free?.pop() ??
      this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.flush((encoder) => encoder.copyBufferToBuffer(buffer, 0, staging, 0, size));
    await this.untilLost(staging.mapAsync(GPUMapMode.READ));
    const out = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    const list = this.readbacks.get(size);
    if (list) list.push(staging);
    else this.readbacks.set(size, [staging]);
    this.check();
    return out;
  }

  destroy(): void {
    for (const c of this.chunks) c.buffer.destroy();
    for (const list of this.readbacks.values()) for (const b of list) b.destroy();
    this.chunks.length = 0;
    this.readbacks.clear();
    this.bindGroups.clear();
  }

  /** Compiles (once) the pipeline of a kernel; exposed so tests can surface WGSL errors. */
  pipelineFor(kernel: Kernel): Pipeline {
    let p = this.pipelines.get(kernel.code);
    if (!p) {
      const { pipeline: layout } = this.layoutFor(kernel);
      const module = this.device.createShaderModule({ code: kernel.code });
      const pipeline = this.device.createComputePipeline({
        layout,
        compute: { module, entryPoint: 'main' },
      });
      p = { pipeline, layoutKey: layoutKeyOf(kernel) };
      this.pipelines.set(kernel.code, p);
    }
    return p;
  }

  private layoutFor(kernel: Kernel): { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout } {
    const key = layoutKeyOf(kernel);
    let l = this.layouts.get(key);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = kernel.buffers.map((b, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: b.access === 'read' ? 'read-only-storage' : 'storage' },
      }));
      entries.push({
        binding: kernel.buffers.length,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: 'uniform', hasDynamicOffset: true },
      });
      const group = this.device.createBindGroupLayout({ entries });
      l = { group, pipeline: this.device.createPipelineLayout({ bindGroupLayouts: [group] }) };
      this.layouts.set(key, l);
    }
    return l;
  }

  private writeParams(kernel: Kernel, values: Record<string, number>): [number, number] {
    let c = this.chunks[this.chunk];
    if (c && c.used + this.slot > CHUNK_BYTES) {
      this.chunk++;
      c = this.chunks[this.chunk];
    }
    if (!c) {
      const data = new ArrayBuffer(CHUNK_BYTES);
      c = {
        buffer: this.device.createBuffer({
          size: CHUNK_BYTES,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        }),
        data,
        u32: new Uint32Array(data),
        i32: new Int32Array(data),
        f32: new Float32Array(data),
        used: 0,
      };
      this.chunks.push(c);
    }
    const offset = c.used;
    const base = offset / 4;
    kernel.params.forEach(([name, type], i) => {
      const v = values[name] ?? (name === 'unused' ? 0 : undefined);
      if (v === undefined) throw new Error(`internal: kernel parameter '${name}' missing`);
      if (type === 'f32') c.f32[base + i] = v;
      else if (type === 'i32') c.i32[base + i] = v;
      else c.u32[base + i] = v;
    });
    c.used += this.slot;
    return [this.chunk, offset];
  }

  private idOf(buffer: GPUBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) {
      id = this.nextBufferId++;
      this.bufferIds.set(buffer, id);
    }
    return id;
  }

  private untilLost<T>(work: Promise<T>): Promise<T> {
    return Promise.race([
      work,
      this.ctx.lost.then((error): never => {
        throw error;
      }),
    ]);
  }
}

function layoutKeyOf(kernel: Kernel): string {
  return kernel.buffers.map((b) => (b.access === 'read' ? 'r' : 'w')).join('');
}

// The WebGPU backend: the Backend interface on Dawn (npm `webgpu`). Weights are uploaded once
// (f16 where the adapter has shader-f16, 2-D tensors only; vectors stay f32), activations are
// f32, and every op is one or two dispatches recorded into a single pass that is submitted at
// read/sync. Kernel choice per op lives here; the kernels themselves are in ./kernels.

import type {
  AblationTensors,
  AttentionInputOptions,
  AttentionOptions,
  Backend,
  DType,
  HostTensor,
  Tensor,
  WeightStream,
} from '../backend.js';
import { readWhole } from '../weight-stream.js';
import { type GpuContext, openDevice, type WebGpuOptions } from './device.js';
import { elementCount, f16RangeError, f16Table, toF16, toF32 } from './half.js';
import { ablateKernel } from './kernels/ablate.js';
import { ATTENTION_BLOCK_DEFAULT, attentionKernel, attentionShape } from './kernels/attention.js';
import { attentionInputsKernel } from './kernels/attention-inputs.js';
import { concatKernel } from './kernels/concat.js';
import {
  addKernel,
  bf16ToHalfKernel,
  ELEMENTWISE_GROUP,
  fillKernel,
  gatedActivationKernel,
  halfKernel,
  softcapKernel,
} from './kernels/elementwise.js';
import { gatherKernel } from './kernels/gather.js';
import {
  GEMV_MAX_ROWS,
  GEMV_ROWS_PER_GROUP,
  gemvKernel,
  gemvThreads,
  gemvVectorWidth,
} from './kernels/gemv.js';
import {
  type BLayout,
  TILED_DEFAULT,
  type TiledShape,
  tiledMatmulKernel,
  tiledTile,
} from './kernels/matmul.js';
import {
  type RowsTile,
  SPLIT_DEFAULT,
  type SplitPolicy,
  SUBGROUP_DEFAULT,
  type SubgroupOptions,
  type SubgroupTile,
  splitK,
  splitReduceKernel,
  subgroupMatmulKernel,
  subgroupTileSize,
  TILES_BY_ROWS,
  tileForRows,
} from './kernels/matmulSubgroup.js';
import { rmsNormKernel, rowNormsKernel, rowThreads } from './kernels/norm.js';
import { argmaxKernel, klDivergenceKernel, logSoftmaxKernel } from './kernels/rows.js';
import {
  SKINNY_DEFAULT,
  SKINNY_MAX_ROWS,
  type SkinnyTile,
  skinnyApplies,
  skinnyKernel,
  skinnyPlan,
} from './kernels/skinny.js';
import { BufferPool, bytesPerElement, GpuTensor, mib, STORAGE_USAGE } from './memory.js';
import { type KernelTime, Recorder } from './recorder.js';
import { Uploader } from './upload.js';
import { grid, type Kernel, type WeightType } from './wgsl.js';

export type { WebGpuOptions } from './device.js';

/** Bits written by poisonOutputs: NaN as f32, an impossible index as i32. */
const POISON_BITS = 0x7fc00000;
/** weights a range-check buffer holds flags for */
const RANGE_SLOTS = 1024;
const NO_OVERFLOW = 0xffffffff;

export async function createWebGpuBackend(opts: WebGpuOptions = {}): Promise<WebGpuBackend> {
  const ctx = await openDevice(opts);
  return new WebGpuBackend(ctx, opts);
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly description: string;
  readonly weightDType: DType;
  /** the adapter is a CPU implementation (SwiftShader): tests keep their sizes small there */
  readonly software: boolean;
  /** matrix kernel used by linear for more than GEMV_MAX_ROWS rows */
  readonly linearKernel: 'subgroup-matrix' | 'tiled';
  private readonly pool: BufferPool;
  private readonly recorder: Recorder;
  /** weight bytes to the GPU (through mapped staging buffers) */
  private readonly uploader: Uploader;
  private readonly kernels = new Map<string, Kernel>();
  /**
   * The f16 copy of the last subgroup-matrix linear's input: q, k and v (and gate and up) read
   * the same activations, so they share one packing dispatch. Dropped when the input is written
   * or disposed.
   */
  private packed: { source: GpuTensor; half: GpuTensor } | null = null;
  private readonly weights = new Set<GpuTensor>();
  private weightBytes = 0;
  /** an out-of-memory error found asynchronously at weight upload, thrown at the next sync/read */
  private uploadFailure: Error | null = null;
  /** flags of bf16 weights converted on the GPU, not yet read: first overflowing index per slot */
  private readonly rangeChecks: { flags: GPUBuffer; names: string[] }[] = [];
  private readonly poison: boolean;
  /** tile shapes of the matrix kernels (benchmarks may override before the first linear) */
  subgroupTile: SubgroupTile = SUBGROUP_DEFAULT;
  /** subgroup tiles by row count (few rows: batched decode), and when to split K */
  tilesByRows: RowsTile[] = TILES_BY_ROWS;
  splitPolicy: SplitPolicy = SPLIT_DEFAULT;
  tiledShape: TiledShape = TILED_DEFAULT;
  /** tile of the batched-decode kernel (null: the general matrix kernel for every T > 8) */
  skinnyTile: SkinnyTile | null = SKINNY_DEFAULT;
  /** most positions an attention workgroup holds in workgroup memory at once (benchmarks vary it) */
  attentionBlock = ATTENTION_BLOCK_DEFAULT;

  constructor(
    private readonly ctx: GpuContext,
    opts: WebGpuOptions,
  ) {
    this.weightDType = opts.weightDType ?? (ctx.shaderF16 ? 'f16' : 'f32');
    this.poison = opts.poisonOutputs ?? false;
    this.software = ctx.software;
    this.pool = new BufferPool(ctx.device);
    this.recorder = new Recorder(ctx, this.pool);
    this.uploader = new Uploader(ctx.device, (copy) => this.recorder.flush(copy));
    this.linearKernel =
      ctx.subgroupMatrix && this.weightDType === 'f16' ? 'subgroup-matrix' : 'tiled';
    const s = subgroupTileSize(this.subgroupTile);
    const t = tiledTile(this.tiledShape);
    const matrix =
      this.linearKernel === 'subgroup-matrix'
        ? `subgroup-matrix 16x16x16 f16->f32, ${s.bm}x${s.bn} tiles above ${this.tilesByRows.at(-1)?.rows ?? 0} rows, split K below ${this.splitPolicy.minGroups} workgroups`
        : `tiled f32 ${t.bm}x${t.bn}`;
    this.description = [
      `${ctx.adapterName} (WebGPU/Dawn${ctx.software ? ', software' : ''})`,
      `weights ${this.weightDType}`,
      `linear: ${matrix}; gemv for <= ${GEMV_MAX_ROWS} rows${this.linearKernel === 'subgroup-matrix' ? `, skinny subgroup-matrix for <= ${SKINNY_MAX_ROWS}` : ''}`,
      `robustness ${ctx.robustness ? 'on' : 'off'}`,
    ].join(' | ');
  }

  /** GPU memory held: uploaded weights, pooled activation buffers (in use or free), and their peak */
  memoryBytes(): { weights: number; pool: number; peakPool: number } {
    return { weights: this.weightBytes, pool: this.pool.heldBytes, peakPool: this.pool.peakBytes };
  }

  releaseCached(): void {
    this.dropPacked();
    // everything recorded is submitted now, so buffers freed since the last submit are free too
    this.recorder.flush();
    this.pool.submitted();
    this.pool.trim();
  }

  /** dispatches and submits so far (tests check that ops batch into few submits) */
  get stats(): { dispatches: number; submits: number } {
    return { ...this.recorder.stats };
  }

  // --- memory ---

  weight(name: string, host: HostTensor): Tensor {
    this.recorder.check();
    const { dtype, n } = this.storage(name, host.shape, host.dtype, host.bytes.byteLength);
    const byteLength = n * bytesPerElement(dtype);
    if (dtype === 'f16' && host.dtype === 'bf16') {
      const buffer = this.weightBuffer(name, byteLength);
      const raw = this.pool.forUpload(Math.ceil(n / 2) * 4);
      this.uploader.write(raw, host.bytes);
      this.convertBf16(name, raw, n, buffer);
      return this.addWeight(new GpuTensor([...host.shape], dtype, buffer, byteLength, false));
    }
    const buffer = this.weightBuffer(name, byteLength, true);
    try {
      const mapped = buffer.getMappedRange();
      if (dtype === 'f16') toF16(name, host, new Uint16Array(mapped, 0, n));
      else toF32(host, new Float32Array(mapped, 0, n));
    } catch (e) {
      buffer.unmap();
      buffer.destroy();
      throw e;
    }
    buffer.unmap();
    return this.addWeight(new GpuTensor([...host.shape], dtype, buffer, byteLength, false));
  }

  /**
   * bf16 → f16 and bytes already in the stored dtype are read straight into staging buffers;
   * other conversions (f32 → f16, anything → f32 vectors) go through host memory.
   */
  async loadWeight(name: string, s: WeightStream): Promise<Tensor> {
    this.recorder.check();
    const { dtype, n } = this.storage(name, s.shape, s.dtype, s.byteLength);
    const converted = dtype === 'f16' && s.dtype === 'bf16';
    if (!converted && dtype !== s.dtype) return this.weight(name, await readWhole(s));
    const byteLength = n * bytesPerElement(dtype);
    const buffer = this.weightBuffer(name, byteLength);
    const target = converted ? this.pool.forUpload(Math.ceil(n / 2) * 4) : buffer;
    try {
      await this.uploader.writeFrom(target, s.byteLength, (offset, dst) => s.readInto(offset, dst));
    } catch (e) {
      if (converted) this.pool.release(target);
      buffer.destroy();
      throw e;
    }
    if (converted) this.convertBf16(name, target, n, buffer);
    return this.addWeight(new GpuTensor([...s.shape], dtype, buffer, byteLength, false));
  }

  /** the dtype a weight is stored in here and its element count; throws when the bytes do not fit the shape */
  private storage(
    name: string,
    shape: readonly number[],
    stored: HostTensor['dtype'],
    bytes: number,
  ): { dtype: WeightType; n: number } {
    const n = elementCount(shape);
    const expected = n * (stored === 'f32' ? 4 : 2);
    if (bytes !== expected) {
      throw new Error(
        `weight ${name}: shape [${shape}] ${stored} needs ${expected} bytes, got ${bytes}`,
      );
    }
    // vectors (norms, biases) stay f32: tiny, and exact for any stored dtype
    return { dtype: shape.length >= 2 ? (this.weightDType as WeightType) : 'f32', n };
  }

  /**
   * A buffer for a weight of `byteLength` bytes; an allocation the GPU refuses is reported
   * by name (at once, or at the next sync when Dawn reports it later).
   */
  private weightBuffer(name: string, byteLength: number, mappedAtCreation = false): GPUBuffer {
    const size = Math.max(4, Math.ceil(byteLength / 4) * 4);
    const limit = Math.min(
      this.ctx.limits.maxBufferSize,
      this.ctx.limits.maxStorageBufferBindingSize,
    );
    if (size > limit) {
      throw new Error(
        `weight ${name} needs ${mib(size)}, more than this adapter binds in one buffer (${mib(limit)}); use --backend cpu`,
      );
    }
    const device = this.ctx.device;
    device.pushErrorScope('out-of-memory');
    let buffer: GPUBuffer;
    try {
      buffer = device.createBuffer({ size, usage: STORAGE_USAGE(), mappedAtCreation });
    } catch {
      throw this.outOfMemory(name, size);
    }
    const held = this.weightBytes;
    device.popErrorScope().then((error) => {
      if (error) this.uploadFailure ??= this.outOfMemory(name, size, held);
    });
    return buffer;
  }

  private addWeight(t: GpuTensor): GpuTensor {
    this.weights.add(t);
    this.weightBytes += t.buffer.size;
    return t;
  }

  /**
   * Converts n bf16 values in `raw` (released here) to f16 into `out` on the GPU. Values
   * outside f16's range are reported by the next sync or read (`checkRanges`), by name.
   */
  private convertBf16(name: string, raw: GPUBuffer, n: number, out: GPUBuffer): void {
    const words = Math.ceil(n / 2);
    const queue = this.ctx.device.queue;
    let checks = this.rangeChecks.at(-1);
    if (!checks || checks.names.length === RANGE_SLOTS) {
      const flags = this.ctx.device.createBuffer({
        size: 4 * RANGE_SLOTS,
        usage: STORAGE_USAGE(),
      });
      queue.writeBuffer(flags, 0, new Uint32Array(RANGE_SLOTS).fill(NO_OVERFLOW));
      checks = { flags, names: [] };
      this.rangeChecks.push(checks);
    }
    this.run(
      'bf16ToHalf',
      bf16ToHalfKernel,
      { raw, out, flags: checks.flags },
      { n: words, slot: checks.names.length },
      grid(Math.ceil(words / ELEMENTWISE_GROUP)),
    );
    checks.names.push(name);
    // submitted at once: the staging buffer is free for the next weight's upload
    this.pool.release(raw);
    this.recorder.flush();
  }

  /** Throws for the first weight converted on the GPU that held a value f16 cannot. */
  private async checkRanges(): Promise<void> {
    while (this.rangeChecks.length > 0) {
      const { flags, names } = this.rangeChecks[0];
      const first = new Uint32Array(await this.recorder.read(flags, 4 * names.length));
      this.rangeChecks.shift();
      flags.destroy();
      const bad = first.findIndex((index) => index !== NO_OVERFLOW);
      if (bad >= 0) throw f16RangeError(names[bad], first[bad]);
    }
  }

  tensor(data: Float32Array | Int32Array, shape: readonly number[]): Tensor {
    this.recorder.check();
    const n = elementCount(shape);
    if (data.length !== n)
      throw new Error(`tensor: ${data.length} values for shape [${shape.join(',')}]`);
    const dtype: DType = data instanceof Int32Array ? 'i32' : 'f32';
    const buffer = this.pool.forUpload(n * 4);
    if (n > 0) this.ctx.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, n * 4);
    return new GpuTensor([...shape], dtype, buffer, n * 4, true);
  }

  zeros(shape: readonly number[], dtype: DType): Tensor {
    const t = this.allocate(shape, dtype, false);
    this.fill(t, 0);
    return t;
  }

  async read(t: Tensor): Promise<Float32Array | Int32Array> {
    const g = this.live(t, 'read');
    const bytes = Math.ceil(g.byteLength / 4) * 4;
    const data = await this.recorder.read(g.buffer, bytes);
    await this.throwRecorded();
    await this.checkRanges();
    if (g.dtype === 'i32') return new Int32Array(data, 0, g.size);
    if (g.dtype === 'f32') return new Float32Array(data, 0, g.size);
    const table = f16Table();
    const h = new Uint16Array(data, 0, g.size);
    const out = new Float32Array(g.size);
    for (let i = 0; i < out.length; i++) out[i] = table[h[i]];
    return out;
  }

  dispose(t: Tensor): void {
    const g = t as GpuTensor;
    if (!(g instanceof GpuTensor) || g.disposed) return;
    if (this.packed?.source === g) this.dropPacked();
    g.disposed = true;
    if (g.pooled) this.pool.release(g.buffer);
    else {
      this.weights.delete(g);
      this.weightBytes -= g.buffer.size;
      this.pool.retire(g.buffer);
    }
  }

  async sync(): Promise<void> {
    await this.recorder.sync();
    await this.throwRecorded();
    await this.checkRanges();
  }

  destroy(): void {
    this.packed = null;
    this.uploader.destroy();
    this.recorder.destroy();
    this.pool.destroy();
    for (const w of this.weights) w.buffer.destroy();
    this.weights.clear();
    this.ctx.close();
  }

  // --- ops ---

  embed(table: Tensor, ids: Tensor, scale: number): Tensor {
    return this.gather(table, ids, scale, 'embed');
  }

  rmsNorm(x: Tensor, w: Tensor, eps: number, offset: number): Tensor {
    const gx = this.f32(x, 'rmsNorm x');
    const gw = this.live(w, 'rmsNorm w');
    const W = gw.size;
    if (gx.size % W !== 0)
      throw new Error(`rmsNorm: x [${gx.shape}] is not made of rows of width ${W}`);
    const R = gx.size / W;
    const threads = rowThreads(W);
    const out = this.allocate(gx.shape, 'f32');
    // a whole-row norm feeds a linear (per-head q/k norms do not)
    const half = W === gx.shape[gx.shape.length - 1] ? this.halfCopyFor(R, W) : null;
    const buffers: Record<string, GPUBuffer> = { x: gx.buffer, w: gw.buffer, out: out.buffer };
    if (half) buffers.half = half.buffer;
    this.run(
      `rmsNorm:${gw.dtype}:${threads}:${half !== null}`,
      () => rmsNormKernel(gw.dtype as WeightType, threads, half !== null),
      buffers,
      { R, W, eps, offset },
      grid(R),
    );
    if (half) this.keepPacked(out, half);
    return out;
  }

  /**
   * A buffer for the packed f16 copy of a [rows, width] output whose producer can write it
   * (saving the packing pass), where the linear reading it will use one: the subgroup-matrix
   * kernel, not GEMV nor the skinny kernel (it converts as it stages). Null otherwise.
   */
  private halfCopyFor(rows: number, width: number): GpuTensor | null {
    const wanted =
      this.linearKernel === 'subgroup-matrix' &&
      width % 2 === 0 &&
      rows > GEMV_MAX_ROWS &&
      !(this.skinnyTile && skinnyApplies(rows, 16, width));
    return wanted ? this.allocate([rows * width], 'f16', false) : null;
  }

  /** Makes `half` the packed input that linears of `source` read (see packedInput). */
  private keepPacked(source: GpuTensor, half: GpuTensor): void {
    this.dropPacked();
    this.packed = { source, half };
  }

  linear(x: Tensor, w: Tensor, bias?: Tensor): Tensor {
    return this.linearInto(x, w, bias, null);
  }

  addLinear(into: Tensor, x: Tensor, w: Tensor, bias?: Tensor): void {
    const target = this.f32(into, 'addLinear into');
    if (target.buffer === this.f32(x, 'addLinear x').buffer)
      throw new Error('addLinear: into is its own input x; add a copy');
    this.linearInto(x, w, bias, target);
  }

  /**
   * x·wᵀ + bias into a new tensor, or added to `into`: inside the kernel where it ends in a
   * GEMV or a split-K reduce (decode), else by an add after it.
   */
  private linearInto(
    x: Tensor,
    w: Tensor,
    bias: Tensor | undefined,
    into: GpuTensor | null,
  ): GpuTensor {
    const gx = this.f32(x, 'linear x');
    const gw = this.live(w, 'linear w');
    const [N, K] = gw.shape;
    const T = gx.size / K;
    if (gw.shape.length !== 2 || gx.shape[gx.shape.length - 1] !== K) {
      throw new Error(`linear: x [${gx.shape}] does not match w [${gw.shape}] (x [T,K], w [N,K])`);
    }
    const gb = bias ? this.live(bias, 'linear bias') : null;
    if (gb && gb.size !== N)
      throw new Error(`linear: bias [${gb.shape}] does not match w [${gw.shape}]`);
    const shape = [...gx.shape.slice(0, -1), N];
    if (into && into.shape.join() !== shape.join())
      throw new Error(`addLinear: into [${into.shape}] is not the output [${shape}]`);
    const wt = gw.dtype as WeightType;
    if (T <= GEMV_MAX_ROWS && T >= 1) {
      const out = into ?? this.allocate(shape, 'f32');
      const bt = gb ? (gb.dtype as WeightType) : null;
      const buffers: Record<string, GPUBuffer> = { x: gx.buffer, w: gw.buffer, y: out.buffer };
      if (gb) buffers.bias = gb.buffer;
      const vectorized = K % gemvVectorWidth(wt) === 0;
      const threads = gemvThreads(wt, K);
      const accumulate = into !== null;
      this.run(
        `gemv:${wt}:${T}:${vectorized}:${bt}:${threads}:${accumulate}`,
        () => gemvKernel(wt, T, vectorized, bt, threads, accumulate),
        buffers,
        { N, K },
        grid(Math.ceil(N / GEMV_ROWS_PER_GROUP)),
      );
      return out;
    }
    const target = { out: into ?? this.allocate(shape, 'f32'), accumulate: into !== null };
    if (this.linearKernel === 'subgroup-matrix' && wt === 'f16') {
      if (!this.skinnyMatmul(gx, gw, gb, target, T, N, K))
        this.subgroupMatmul(gx, gw, gb, target, T, N, K);
    } else {
      this.tiledMatmul(gx, gw, gb, this.unaccumulated(target), 'nk', T, N, K);
    }
    if (target.out !== into && into) {
      this.addInPlace(into, target.out);
      this.dispose(target.out);
    }
    return into ?? target.out;
  }

  /**
   * Where a kernel cannot add to its output: the output it writes instead (a new tensor that
   * linearInto adds afterwards), else `target.out`.
   */
  private unaccumulated(target: LinearTarget): GpuTensor {
    if (!target.accumulate) return target.out;
    target.out = this.allocate(target.out.shape, 'f32');
    target.accumulate = false;
    return target.out;
  }

  linearTransposed(x: Tensor, w: Tensor): Tensor {
    const gx = this.f32(x, 'linearTransposed x');
    const gw = this.live(w, 'linearTransposed w');
    const [N, K] = gw.shape;
    if (gw.shape.length !== 2 || gx.shape[gx.shape.length - 1] !== N) {
      throw new Error(
        `linearTransposed: x [${gx.shape}] does not match w [${gw.shape}] (x [T,N], w [N,K])`,
      );
    }
    const T = gx.size / N;
    const out = this.allocate([...gx.shape.slice(0, -1), K], 'f32');
    this.tiledMatmul(gx, gw, null, out, 'kn', T, K, N);
    return out;
  }

  rowNorms(w: Tensor): Tensor {
    const gw = this.live(w, 'rowNorms w');
    const [R, W] = gw.shape;
    const threads = rowThreads(W);
    const out = this.allocate([R], 'f32');
    this.run(
      `rowNorms:${gw.dtype}:${threads}`,
      () => rowNormsKernel(gw.dtype as WeightType, threads),
      { w: gw.buffer, out: out.buffer },
      { R, W },
      grid(R),
    );
    return out;
  }

  attentionInputs(
    qkv: Tensor,
    cacheK: Tensor,
    cacheV: Tensor,
    seq: Tensor,
    pos: Tensor,
    o: AttentionInputOptions,
  ): Tensor {
    const { numHeads: H, numKvHeads: K, headDim: D, rotaryDim } = o;
    const g = this.f32(qkv, 'attentionInputs qkv');
    const gk = this.f32(cacheK, 'attentionInputs cacheK');
    const gv = this.f32(cacheV, 'attentionInputs cacheV');
    const [S, P] = gk.shape;
    const T = g.shape[0];
    const gs = this.i32(seq, 'attentionInputs seq');
    const gp = this.i32(pos, 'attentionInputs pos');
    const gf = this.f32(o.invFreq, 'attentionInputs invFreq');
    if (
      g.shape.join() !== [T, (H + 2 * K) * D].join() ||
      gk.shape.join() !== [S, P, K * D].join() ||
      gv.shape.join() !== gk.shape.join() ||
      gs.size !== T ||
      gp.size !== T ||
      gf.size !== rotaryDim / 2
    ) {
      throw new Error(
        `attentionInputs: qkv [${g.shape}], caches [${gk.shape}] and [${gv.shape}], seq [${gs.shape}], pos [${gp.shape}], invFreq [${gf.shape}] do not fit ${H} + 2·${K} heads of ${D}, rotary ${rotaryDim}`,
      );
    }
    const q = this.allocate([T, H * D], 'f32');
    const buffers: Record<string, GPUBuffer> = {
      qkv: g.buffer,
      q: q.buffer,
      cacheK: gk.buffer,
      cacheV: gv.buffer,
      seq: gs.buffer,
      pos: gp.buffer,
      invFreq: gf.buffer,
    };
    const norm = o.qkNorm;
    if (norm) {
      buffers.qNorm = this.f32(norm.q, 'q norm').buffer;
      buffers.kNorm = this.f32(norm.k, 'k norm').buffer;
    }
    const shape = { H, K, D, rotaryDim, norm: norm !== null };
    this.run(
      `attentionInputs:${Object.values(shape).join(',')}`,
      () => attentionInputsKernel(shape),
      buffers,
      {
        T,
        S,
        P,
        factor: o.attentionFactor,
        eps: norm?.eps ?? 0,
        offset: norm?.offset ?? 0,
      },
      grid(T * (H + 2 * K)),
    );
    return q;
  }

  attention(
    q: Tensor,
    cacheK: Tensor,
    cacheV: Tensor,
    seq: Tensor,
    pos: Tensor,
    opts: AttentionOptions,
  ): Tensor {
    const gq = this.f32(q, 'attention q');
    const gk = this.f32(cacheK, 'attention cacheK');
    const gv = this.f32(cacheV, 'attention cacheV');
    const { numHeads: H, numKvHeads: K, headDim: D } = opts;
    const P = gk.shape[1];
    const T = gq.size / (H * D);
    if (gk.shape[2] !== K * D || H % K !== 0 || !Number.isInteger(T)) {
      throw new Error(
        `attention: q [${gq.shape}] and cache [${gk.shape}] do not fit H=${H}, K=${K}, D=${D}`,
      );
    }
    const out = this.allocate(gq.shape, 'f32');
    const limit = this.ctx.limits.maxComputeWorkgroupStorageSize;
    const shape = attentionShape(D, H / K, limit, this.attentionBlock);
    this.run(
      `attention:${JSON.stringify(shape)}`,
      () => attentionKernel(shape),
      {
        q: gq.buffer,
        cacheK: gk.buffer,
        cacheV: gv.buffer,
        seq: this.i32(seq, 'attention seq').buffer,
        pos: this.i32(pos, 'attention pos').buffer,
        out: out.buffer,
      },
      { T, H, K, P, scale: opts.scale, window: opts.slidingWindow ?? 0, cap: opts.softcap ?? 0 },
      grid(T * K),
    );
    return out;
  }

  gatedActivation(gateUp: Tensor, activation: 'silu' | 'gelu_tanh'): Tensor {
    const g = this.f32(gateUp, 'gatedActivation gateUp');
    const F2 = g.shape[g.shape.length - 1];
    if (g.shape.length !== 2 || F2 % 2 !== 0)
      throw new Error(`gatedActivation: gateUp [${g.shape}] must be [T, 2F]`);
    const [T, F] = [g.shape[0], F2 / 2];
    const out = this.allocate([T, F], 'f32');
    const half = this.halfCopyFor(T, F);
    const buffers: Record<string, GPUBuffer> = { gateUp: g.buffer, out: out.buffer };
    if (half) buffers.half = half.buffer;
    const n = half ? (T * F) / 2 : T * F;
    this.run(
      `gated:${activation}:${half !== null}`,
      () => gatedActivationKernel(activation, half !== null),
      buffers,
      { n, F },
      grid(Math.ceil(n / ELEMENTWISE_GROUP)),
    );
    if (half) this.keepPacked(out, half);
    return out;
  }

  concatRows(parts: readonly Tensor[]): Tensor {
    const gs = parts.map((p) => this.live(p, 'concatRows part'));
    const first = gs[0];
    if (!first) throw new Error('concatRows: needs at least one part');
    const rest = first.shape.slice(1);
    for (const g of gs) {
      if (g.dtype !== first.dtype || g.shape.slice(1).join() !== rest.join()) {
        throw new Error(
          `concatRows: parts [${g.shape}] ${g.dtype} and [${first.shape}] ${first.dtype} differ past their rows`,
        );
      }
    }
    const shape = [gs.reduce((n, g) => n + g.shape[0], 0), ...rest];
    const elementBytes = bytesPerElement(first.dtype) as 2 | 4;
    const byteLength = elementCount(shape) * elementBytes;
    // weights joined at load stay weights: not pooled, counted, destroyed on dispose
    const out = gs.every((g) => !g.pooled)
      ? this.addWeight(
          new GpuTensor(
            shape,
            first.dtype,
            this.weightBuffer('concatRows', byteLength),
            byteLength,
            false,
          ),
        )
      : this.allocate(shape, first.dtype, false);
    const n = Math.ceil(byteLength / 4);
    const { buffers, params } = partBindings(
      'x',
      gs,
      gs.map((g) => g.size),
    );
    buffers.out = out.buffer;
    params.n = n;
    this.run(
      `concat:${gs.length}:${elementBytes}`,
      () => concatKernel(gs.length, elementBytes),
      buffers,
      params,
      grid(Math.ceil(n / ELEMENTWISE_GROUP)),
    );
    return out;
  }

  addInPlace(a: Tensor, b: Tensor): void {
    const ga = this.f32(a, 'addInPlace a');
    const gb = this.f32(b, 'addInPlace b');
    this.sameSize(ga, gb, 'addInPlace');
    if (ga.buffer === gb.buffer)
      throw new Error('addInPlace: a and b are the same tensor; add a copy');
    this.run(
      'add',
      addKernel,
      { a: ga.buffer, b: gb.buffer },
      { n: ga.size },
      grid(Math.ceil(ga.size / ELEMENTWISE_GROUP)),
    );
  }

  ablate(y: Tensor, ablation: AblationTensors, rowPlan: Tensor | null): void {
    const gy = this.f32(y, 'ablate y');
    const dirs = this.f32(ablation.directions, 'ablate directions');
    const C = dirs.shape[1];
    const T = gy.size / C;
    const variant = {
      inverseNorm: ablation.inverseNorm !== null,
      outScale: ablation.outScale !== null,
      rowPlan: rowPlan !== null,
    };
    const buffers: Record<string, GPUBuffer> = {
      y: gy.buffer,
      directions: dirs.buffer,
      weights: this.f32(ablation.weights, 'ablate weights').buffer,
    };
    if (ablation.inverseNorm)
      buffers.inverseNorm = this.f32(ablation.inverseNorm, 'ablate inverseNorm').buffer;
    if (ablation.outScale) buffers.outScale = this.f32(ablation.outScale, 'ablate outScale').buffer;
    if (rowPlan) buffers.rowPlan = this.i32(rowPlan, 'ablate rowPlan').buffer;
    const threads = rowThreads(C);
    this.run(
      `ablate:${variant.inverseNorm}:${variant.outScale}:${variant.rowPlan}:${threads}`,
      () => ablateKernel(variant, threads),
      buffers,
      { T, C },
      grid(T),
    );
  }

  gatherRows(x: Tensor, rows: Tensor): Tensor {
    return this.gather(x, rows, 1, 'gatherRows');
  }

  softcap(x: Tensor, cap: number): void {
    const gx = this.f32(x, 'softcap x');
    this.run(
      'softcap',
      softcapKernel,
      { x: gx.buffer },
      { n: gx.size, cap },
      grid(Math.ceil(gx.size / ELEMENTWISE_GROUP)),
    );
  }

  logSoftmax(x: Tensor): Tensor {
    const gx = this.f32(x, 'logSoftmax x');
    const V = gx.shape[gx.shape.length - 1];
    const R = gx.size / V;
    const out = this.allocate(gx.shape, 'f32');
    const threads = rowThreads(V);
    this.run(
      `logSoftmax:${threads}`,
      () => logSoftmaxKernel(threads),
      { x: gx.buffer, out: out.buffer },
      { R, V },
      grid(R),
    );
    return out;
  }

  argmax(x: Tensor): Tensor {
    const gx = this.f32(x, 'argmax x');
    const V = gx.shape[gx.shape.length - 1];
    const R = gx.size / V;
    const out = this.allocate([R], 'i32');
    const threads = rowThreads(V);
    this.run(
      `argmax:${threads}`,
      () => argmaxKernel(threads),
      { x: gx.buffer, out: out.buffer },
      { R, V },
      grid(R),
    );
    return out;
  }

  klDivergence(logP: Tensor, logQ: Tensor): Tensor {
    const gp = this.f32(logP, 'klDivergence logP');
    const gq = this.f32(logQ, 'klDivergence logQ');
    this.sameSize(gp, gq, 'klDivergence');
    const V = gp.shape[gp.shape.length - 1];
    const R = gp.size / V;
    const out = this.allocate([R], 'f32');
    const threads = rowThreads(V);
    this.run(
      `kl:${threads}`,
      () => klDivergenceKernel(threads),
      { logP: gp.buffer, logQ: gq.buffer, out: out.buffer },
      { R, V },
      grid(R),
    );
    return out;
  }

  // --- internals ---

  /** Throws a failed weight upload (for good) or activations out of memory (once: retry smaller). */
  private async throwRecorded(): Promise<void> {
    if (this.uploadFailure) throw this.uploadFailure;
    const outOfMemory = await this.pool.takeOutOfMemory();
    if (outOfMemory) throw outOfMemory;
  }

  private outOfMemory(name: string, size: number, held = this.weightBytes): Error {
    return new Error(
      `out of GPU memory uploading weight ${name} (${mib(size)}) after ${mib(held)} of weights: the model does not fit ${this.ctx.adapterName}; use a smaller model or --backend cpu`,
    );
  }

  private gather(table: Tensor, ids: Tensor, scale: number, op: string): Tensor {
    const gt = this.live(table, `${op} table`);
    const gi = this.i32(ids, `${op} ids`);
    const [V, C] = gt.shape;
    const out = this.allocate([gi.size, C], 'f32');
    const n = gi.size * C;
    this.run(
      `gather:${gt.dtype}`,
      () => gatherKernel(gt.dtype as WeightType),
      { table: gt.buffer, ids: gi.buffer, out: out.buffer },
      { n, C, V, scale },
      grid(Math.ceil(n / ELEMENTWISE_GROUP)),
    );
    return out;
  }

  private tiledMatmul(
    a: GpuTensor,
    b: GpuTensor,
    bias: GpuTensor | null,
    out: GpuTensor,
    layout: BLayout,
    M: number,
    N: number,
    K: number,
  ): void {
    const s = this.tiledShape;
    const { bm, bn } = tiledTile(s);
    const bt = b.dtype as WeightType;
    const biasType = bias ? (bias.dtype as WeightType) : null;
    const buffers: Record<string, GPUBuffer> = { A: a.buffer, B: b.buffer, C: out.buffer };
    if (bias) buffers.bias = bias.buffer;
    const tilesN = Math.ceil(N / bn);
    this.run(
      `tiled:${bt}:${layout}:${biasType}:${JSON.stringify(s)}`,
      () => tiledMatmulKernel(bt, layout, biasType, s),
      buffers,
      { M, N, K, tilesN },
      grid(Math.ceil(M / bm) * tilesN),
    );
  }

  /** The skinny kernel for batched decode, where it applies; false: use the general one. */
  private skinnyMatmul(
    x: GpuTensor,
    w: GpuTensor,
    bias: GpuTensor | null,
    target: LinearTarget,
    T: number,
    N: number,
    K: number,
  ): boolean {
    const s = this.skinnyTile;
    if (!s || !skinnyApplies(T, N, K)) return false;
    const p = skinnyPlan(s, T, N, K);
    if (p.sharedBytes > this.ctx.limits.maxComputeWorkgroupStorageSize) return false;
    const bt = bias ? (bias.dtype as WeightType) : null;
    const o = { N, K, bias: bt };
    const key = `skinny:${JSON.stringify(s)}:${JSON.stringify(p)}:${JSON.stringify(o)}`;
    const groups = grid(p.tilesN * p.splits);
    if (p.splits === 1) {
      const out = this.unaccumulated(target);
      const buffers: Record<string, GPUBuffer> = { x: x.buffer, w: w.buffer, out: out.buffer };
      if (bias) buffers.bias = bias.buffer;
      this.run(key, () => skinnyKernel(s, p, o), buffers, { T }, groups);
      return true;
    }
    const plane = p.MT * 16 * N;
    const partial = this.allocate([p.splits, plane], 'f32', false);
    this.run(
      key,
      () => skinnyKernel(s, p, o),
      { x: x.buffer, w: w.buffer, out: partial.buffer },
      { T },
      groups,
    );
    this.splitReduce(partial, p.splits, plane, bias, target, T * N, N);
    return true;
  }

  private subgroupMatmul(
    a: GpuTensor,
    b: GpuTensor,
    bias: GpuTensor | null,
    target: LinearTarget,
    M: number,
    N: number,
    K: number,
  ): void {
    const { tile: s, minGroups } = tileForRows(this.tilesByRows, this.subgroupTile, M);
    const { bm, bn, sharedBytes } = subgroupTileSize(s);
    const limit = this.ctx.limits.maxComputeWorkgroupStorageSize;
    if (sharedBytes > limit) {
      // checked here: a failed pipeline would be an uncaptured error that stops the device
      throw new Error(
        `subgroup tile ${JSON.stringify(s)} needs ${sharedBytes} B of workgroup memory; this adapter allows ${limit} B`,
      );
    }
    const tilesN = Math.ceil(N / bn);
    const tiles = Math.ceil(M / bm) * tilesN;
    const policy = minGroups ? { ...this.splitPolicy, minGroups } : this.splitPolicy;
    const split = splitK(policy, tiles, Math.ceil(K / s.bk));
    const bt = bias ? (bias.dtype as WeightType) : null;
    // N and K are compiled in: weights have few distinct shapes, so few pipelines
    const o: SubgroupOptions = {
      aligned: K % 8 === 0,
      bias: split.splits === 1 ? bt : null,
      N,
      K,
      split,
    };
    const A = this.packedInput(a, M * K);
    // Partial sums get whole tiles of rows, so every tile is stored straight from its
    // accumulators (an edge tile goes through workgroup memory, a barrier per fragment: at
    // decode, M = 100 makes every tile an edge tile, with few K steps to hide it behind).
    const rows = split.splits === 1 ? M : Math.ceil(M / bm) * bm;
    const plane = rows * N;
    const C =
      split.splits === 1
        ? this.unaccumulated(target)
        : this.allocate([split.splits, plane], 'f32', false);
    const buffers: Record<string, GPUBuffer> = { A: A.buffer, B: b.buffer, C: C.buffer };
    if (o.bias && bias) buffers.bias = bias.buffer;
    this.run(
      `subgroup:${JSON.stringify(o)}:${JSON.stringify(s)}`,
      () => subgroupMatmulKernel(s, o),
      buffers,
      { M, rows, tilesN },
      grid(tiles * split.splits),
    );
    if (split.splits > 1) this.splitReduce(C, split.splits, plane, bias, target, M * N, N);
  }

  /** Sums (and disposes) split-K partials [splits, plane] into target's first n elements (+ bias). */
  private splitReduce(
    partial: GpuTensor,
    splits: number,
    plane: number,
    bias: GpuTensor | null,
    target: LinearTarget,
    n: number,
    N: number,
  ): void {
    const bt = bias ? (bias.dtype as WeightType) : null;
    const buffers: Record<string, GPUBuffer> = { partial: partial.buffer, y: target.out.buffer };
    if (bias) buffers.bias = bias.buffer;
    this.run(
      `splitReduce:${splits}:${bt}:${target.accumulate}`,
      () => splitReduceKernel(splits, bt, target.accumulate),
      buffers,
      { n, N, plane },
      grid(Math.ceil(n / 256)),
    );
    this.dispose(partial);
  }

  /** `a` (f32, `count` elements) as packed f16, converted once while `a` is unchanged. */
  private packedInput(a: GpuTensor, count: number): GpuTensor {
    if (this.packed?.source === a) return this.packed.half;
    const half = this.allocate([count], 'f16', false);
    const words = Math.ceil(count / 2);
    this.run(
      'half',
      halfKernel,
      { x: a.buffer, out: half.buffer },
      { n: words, count },
      grid(Math.ceil(words / ELEMENTWISE_GROUP)),
    );
    this.keepPacked(a, half);
    return half;
  }

  private dropPacked(): void {
    const half = this.packed?.half;
    this.packed = null;
    if (half) this.dispose(half);
  }

  /** Records one dispatch of a cached kernel. */
  private run(
    key: string,
    make: () => Kernel,
    buffers: Record<string, GPUBuffer>,
    params: Record<string, number>,
    groups: readonly number[],
  ): void {
    let kernel = this.kernels.get(key);
    if (!kernel) {
      kernel = make();
      this.kernels.set(key, kernel);
    }
    const source = this.packed?.source.buffer;
    if (source && kernel.buffers.some((b) => b.access !== 'read' && buffers[b.name] === source))
      this.dropPacked();
    this.recorder.dispatch(kernel, buffers, params, groups, key.split(':')[0]);
  }

  /** whether this adapter can time kernels (`startProfile`) */
  get canProfile(): boolean {
    return this.ctx.timestamps;
  }

  /** Starts timing every kernel on the GPU (timestamp queries); see `Recorder.startProfile`. */
  startProfile(): void {
    this.recorder.startProfile();
  }

  /** GPU time per kernel since `startProfile`, most first. */
  stopProfile(): Promise<KernelTime[]> {
    return this.recorder.stopProfile();
  }

  /** cache keys of the kernels used so far (tests check which path an op took) */
  kernelsUsed(): string[] {
    return [...this.kernels.keys()];
  }

  /** WGSL compilation errors of every kernel used so far (tests, benchmarks). */
  async compileErrors(): Promise<string[]> {
    const errors: string[] = [];
    for (const kernel of this.kernels.values()) {
      const info = await this.ctx.device
        .createShaderModule({ code: kernel.code })
        .getCompilationInfo();
      for (const m of info.messages)
        if (m.type === 'error') errors.push(`${m.lineNum}:${m.linePos} ${m.message}`);
    }
    return errors;
  }

  private allocate(shape: readonly number[], dtype: DType, poison = this.poison): GpuTensor {
    const bytes = elementCount(shape) * bytesPerElement(dtype);
    const t = new GpuTensor(
      [...shape],
      dtype,
      this.pool.forOutput(Math.ceil(bytes / 4) * 4),
      bytes,
      true,
    );
    if (poison) this.fill(t, POISON_BITS);
    return t;
  }

  private fill(t: GpuTensor, bits: number): void {
    const words = Math.ceil(t.byteLength / 4);
    this.run(
      'fill',
      fillKernel,
      { out: t.buffer },
      { n: words, bits },
      grid(Math.ceil(words / ELEMENTWISE_GROUP)),
    );
  }

  private live(t: Tensor, what: string): GpuTensor {
    if (!(t instanceof GpuTensor))
      throw new Error(`${what}: not a WebGPU tensor (made by another backend?)`);
    if (t.disposed) throw new Error(`${what}: tensor used after dispose`);
    return t;
  }

  private f32(t: Tensor, what: string): GpuTensor {
    const g = this.live(t, what);
    if (g.dtype !== 'f32') throw new Error(`${what}: expected an f32 tensor, got ${g.dtype}`);
    return g;
  }

  private i32(t: Tensor, what: string): GpuTensor {
    const g = this.live(t, what);
    if (g.dtype !== 'i32') throw new Error(`${what}: expected an i32 tensor, got ${g.dtype}`);
    return g;
  }

  private sameSize(a: GpuTensor, b: GpuTensor, op: string): void {
    if (a.size !== b.size) throw new Error(`${op}: shapes [${a.shape}] and [${b.shape}] differ`);
  }
}

/** Where a linear writes: `out`, or added to it (`accumulate`). */
interface LinearTarget {
  out: GpuTensor;
  accumulate: boolean;
}

/**
 * The part bindings of the concat kernels: `${prefix}p` → part p's buffer, and end_p, where part
 * p ends along the joined axis (its `sizes` summed so far).
 */
function partBindings(
  prefix: string,
  parts: readonly GpuTensor[],
  sizes: readonly number[],
): { buffers: Record<string, GPUBuffer>; params: Record<string, number> } {
  const buffers: Record<string, GPUBuffer> = {};
  const params: Record<string, number> = {};
  let end = 0;
  for (const [p, part] of parts.entries()) {
    buffers[`${prefix}${p}`] = part.buffer;
    end += sizes[p];
    params[`end${p}`] = end;
  }
  return { buffers, params };
}

// Host bytes into GPU buffers through mapped staging buffers, copied in order with the recorded
// work. queue.writeBuffer moved 1.1 GiB/s on an H100 machine against 5.4 GiB/s this way (weight
// loading was bound by it: bench/RESULTS.md). Staging buffers are reused once remapped (the
// loader's file reads give the event loop the turns that remap them); while none is ready a new
// one is made, mapped at creation.

/** bytes per staging buffer: big copies, few submits */
const STAGE_BYTES = 64 << 20;
/** staging buffers kept mapped for reuse (beyond this they are destroyed after their copy) */
const KEPT = 8;

export class Uploader {
  private readonly ready: GPUBuffer[] = [];
  private remapping = 0;
  private destroyed = false;

  constructor(
    private readonly device: GPUDevice,
    /** submits `copy` after the work recorded so far */
    private readonly submit: (copy: (encoder: GPUCommandEncoder) => void) => void,
  ) {}

  /** Writes `bytes` to `dst` from byte 0 (zero-padded to a multiple of 4 bytes). */
  write(dst: GPUBuffer, bytes: Uint8Array): void {
    for (let offset = 0; offset < bytes.byteLength; offset += STAGE_BYTES) {
      const piece = bytes.subarray(offset, Math.min(offset + STAGE_BYTES, bytes.byteLength));
      const size = Math.ceil(piece.byteLength / 4) * 4;
      const stage = this.stage();
      const mapped = new Uint8Array(stage.getMappedRange(0, size));
      mapped.set(piece);
      mapped.fill(0, piece.byteLength);
      stage.unmap();
      this.submit((encoder) => encoder.copyBufferToBuffer(stage, 0, dst, offset, size));
      this.recycle(stage);
    }
  }

  destroy(): void {
    this.destroyed = true;
    for (const b of this.ready) b.destroy();
    this.ready.length = 0;
  }

  private stage(): GPUBuffer {
    return (
      this.ready.pop() ??
      this.device.createBuffer({
        size: STAGE_BYTES,
        usage: GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC,
        mappedAtCreation: true,
      })
    );
  }

  /** Maps `stage` again once its copy is done, or destroys it (the copy still completes). */
  private recycle(stage: GPUBuffer): void {
    if (this.ready.length + this.remapping >= KEPT) {
      stage.destroy();
      return;
    }
    this.remapping++;
    stage.mapAsync(GPUMapMode.WRITE).then(
      () => {
        this.remapping--;
        if (this.destroyed) stage.destroy();
        else this.ready.push(stage);
      },
      () => {
        this.remapping--;
        stage.destroy();
      },
    );
  }
}

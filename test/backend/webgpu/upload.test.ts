// Streamed uploads through few, small staging buffers: more pieces than buffers, filled out of
// order, arrive whole; a failed fill rejects and gives its buffer back (a leak would hang the
// next write, which the test's timeout catches).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDevice } from '../../../src/backend/webgpu/device.js';
import { Uploader } from '../../../src/backend/webgpu/upload.js';

const ctx = await openDevice().catch((e: Error) => {
  if (process.env.CANDOR_REQUIRE_WEBGPU) throw e;
  return null;
});

async function readBack(device: GPUDevice, src: GPUBuffer, size: number): Promise<Uint8Array> {
  const out = device.createBuffer({
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(src, 0, out, 0, size);
  device.queue.submit([encoder.finish()]);
  await out.mapAsync(GPUMapMode.READ);
  const bytes = new Uint8Array(out.getMappedRange()).slice();
  out.destroy();
  return bytes;
}

test('streamed writes: 40 pieces through 8 buffers, out of order; a failed fill', {
  skip: !ctx && 'no WebGPU adapter',
  timeout: 60_000,
}, async () => {
  const device = (ctx as NonNullable<typeof ctx>).device;
  const uploader = new Uploader(
    device,
    (copy) => {
      const encoder = device.createCommandEncoder();
      copy(encoder);
      device.queue.submit([encoder.finish()]);
    },
    256,
  );
  const length = 40 * 256 - 6; // the last piece not a whole word
  const source = Uint8Array.from({ length }, (_, i) => (i * 7 + 3) & 255);
  const dst = device.createBuffer({
    size: 40 * 256,
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
  });
  let order = 0;
  await uploader.writeFrom(dst, length, async (offset, piece) => {
    // later pieces of each group of three finish first
    await new Promise((r) => setTimeout(r, 3 - (order++ % 3)));
    piece.set(source.subarray(offset, offset + piece.length));
  });
  const got = await readBack(device, dst, 40 * 256);
  assert.deepEqual(got.subarray(0, length), source);
  assert.deepEqual([...got.subarray(length)], [0, 0, 0, 0, 0, 0], 'padding zeroed');

  await assert.rejects(
    uploader.writeFrom(dst, 9 * 256, async () => {
      throw new Error('read failed');
    }),
    /read failed/,
  );
  const again = Uint8Array.from({ length: 20 * 256 }, (_, i) => 255 - (i & 255));
  await uploader.writeFrom(dst, again.length, async (offset, piece) =>
    piece.set(again.subarray(offset, offset + piece.length)),
  );
  assert.deepEqual(await readBack(device, dst, again.length), again);
  uploader.destroy();
  dst.destroy();
});

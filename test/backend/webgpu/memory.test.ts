// Weight upload (in memory and streamed), tensor lifetime and batching on the WebGPU backend: weights read back exactly,
// out-of-range bf16 is refused by name, ops batch into one submit until a read, activations past
// the GPU's memory are one recoverable error, misuse errors are one clear line, and the
// description names the adapter and the kernels chosen.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HostTensor } from '../../../src/backend/backend.js';
import { f16Table, f32ToF16Bits } from '../../../src/backend/webgpu/half.js';
import { hostStream } from '../../../src/backend/weight-stream.js';
import { hostF16, openGpuCases, random, valuesOf } from './harness.js';

const setup = await openGpuCases();

describe('webgpu memory and batching', { skip: setup.skip }, () => {
  for (const { label, gpu } of setup.cases) {
    describe(label, () => {
      test('weights read back as uploaded (f16 values; vectors stay f32)', async () => {
        const w = hostF16([5, 7]);
        const before = gpu.memoryBytes().weights;
        const t = gpu.weight('w', w);
        assert.ok(gpu.memoryBytes().weights >= before + 35 * (gpu.weightDType === 'f16' ? 2 : 4));
        assert.equal(t.dtype, gpu.weightDType);
        assert.deepEqual([...(await gpu.read(t))], [...valuesOf(w)]);
        const v = gpu.weight('norm', hostF16([7]));
        assert.equal(v.dtype, 'f32');
        gpu.dispose(t);
        gpu.dispose(v);
      });

      test('bf16 weights: every bit pattern converts as on the host; overflow is named at sync', async () => {
        // all 65,536 patterns but those past f16's range, in an odd count (a half-filled last word)
        const fits = (b: number): boolean => ((b >> 7) & 0xff) < 143 || ((b >> 7) & 0xff) === 0xff;
        const bits = Uint16Array.from({ length: 65536 }, (_, b) => b)
          .filter(fits)
          .slice(1);
        const host = {
          shape: [bits.length, 1],
          dtype: 'bf16' as const,
          bytes: new Uint8Array(bits.buffer),
        };
        const t = gpu.weight('w', host);
        const got = await gpu.read(t);
        const f32 = new Float32Array(new Uint32Array(Array.from(bits, (b) => b << 16)).buffer);
        const table = f16Table();
        const want =
          gpu.weightDType === 'f16' ? Array.from(f32, (v) => table[f32ToF16Bits(v)]) : [...f32];
        assert.equal(bits.length % 2, 1);
        assert.deepEqual([...got], want);
        gpu.dispose(t);

        const big = Uint16Array.from([0x3f80, 0x3f80, 0x4788, 0x3f80]); // 1, 1, 69632, 1
        const bad = gpu.weight('model.layers.3.mlp.down_proj.weight', {
          shape: [2, 2],
          dtype: 'bf16',
          bytes: new Uint8Array(big.buffer),
        });
        if (gpu.weightDType === 'f16') {
          await assert.rejects(
            gpu.sync(),
            /weight model\.layers\.3\.mlp\.down_proj\.weight: element 2 is outside the f16 range \(±65504\); load this model with f32 weights/,
          );
        }
        await gpu.sync(); // reported once; the backend goes on
        gpu.dispose(bad);
      });

      test('ops batch into one submit until a read', async () => {
        const x = gpu.tensor(random(4 * 37), [4, 37]);
        await gpu.sync();
        const before = gpu.stats;
        let y = x;
        for (let i = 0; i < 20; i++) {
          const next = gpu.logSoftmax(y);
          if (y !== x) gpu.dispose(y);
          y = next;
        }
        const after = gpu.stats;
        assert.equal(after.submits, before.submits, 'no submit while recording');
        assert.ok(after.dispatches >= before.dispatches + 20);
        await gpu.read(y);
        assert.equal(gpu.stats.submits, before.submits + 1);
      });

      test('the kernel profile counts every dispatch under its label', async () => {
        const x = gpu.tensor(random(24 * 40), [24, 40]);
        const d = gpu.tensor(random(24 * 40), [24, 40]);
        const w = gpu.weight('w', hostF16([16, 40]));
        if (!gpu.canProfile) {
          assert.throws(() => gpu.startProfile(), /has no timestamp queries: no kernel profile/);
          return;
        }
        gpu.startProfile();
        // more dispatches than one submit holds, so several query sets are resolved
        for (let i = 0; i < 70; i++) gpu.addInPlace(x, d);
        await gpu.read(gpu.linear(x, w));
        const kernels = await gpu.stopProfile();
        const add = kernels.find((k) => k.label === 'add');
        assert.equal(add?.dispatches, 70);
        assert.ok(add.ms > 0, 'the adds took GPU time');
        assert.ok(
          kernels.some((k) => k.label !== 'add' && k.dispatches > 0),
          `the linear is listed: ${JSON.stringify(kernels)}`,
        );
        await assert.rejects(gpu.stopProfile(), /without startProfile/);
      });

      test('releaseCached gives back free buffers, keeps live ones; the peak is kept', async () => {
        gpu.releaseCached();
        const kept = random(300);
        const live = gpu.tensor(kept, [300]);
        const freed = gpu.logSoftmax(gpu.tensor(random(5000), [10, 500]));
        await gpu.read(freed);
        const before = gpu.memoryBytes();
        gpu.dispose(freed);
        gpu.releaseCached();
        const after = gpu.memoryBytes();
        assert.ok(after.pool < before.pool, `pool ${before.pool} → ${after.pool}`);
        assert.equal(after.peakPool, before.peakPool);
        assert.deepEqual([...(await gpu.read(live))], [...kept], 'a live tensor keeps its buffer');
      });

      test('streamed weights equal uploaded ones; a failed read is its own error', async () => {
        const bf16 = (h: HostTensor): HostTensor => {
          const f32 = new Float32Array(valuesOf(h));
          const bits = Uint16Array.from(new Uint32Array(f32.buffer), (u) => u >>> 16);
          return { shape: h.shape, dtype: 'bf16', bytes: new Uint8Array(bits.buffer) };
        };
        const f32 = (h: HostTensor): HostTensor => ({
          shape: h.shape,
          dtype: 'f32',
          bytes: new Uint8Array(valuesOf(h).buffer),
        });
        const cases: [string, HostTensor][] = [
          ['bf16, odd count', bf16(hostF16([7, 13]))],
          ['f16', hostF16([6, 10])],
          ['f32', f32(hostF16([3, 9]))],
          ['bf16 vector', bf16(hostF16([11]))],
        ];
        for (const [what, host] of cases) {
          const a = gpu.weight('w', host);
          const b = await gpu.loadWeight('w', hostStream(host));
          assert.equal(b.dtype, a.dtype, what);
          assert.deepEqual([...(await gpu.read(b))], [...(await gpu.read(a))], what);
          gpu.dispose(a);
          gpu.dispose(b);
        }
        const failing = {
          ...hostStream(cases[0][1]),
          readInto: async () => {
            throw new Error('disk gone');
          },
        };
        await assert.rejects(gpu.loadWeight('w', failing), /disk gone/);
        const again = await gpu.loadWeight('w', hostStream(cases[1][1]));
        assert.deepEqual([...(await gpu.read(again))], [...valuesOf(cases[1][1])]);
        gpu.dispose(again);
      });

      test('a bf16 weight larger than one staging buffer (64 MiB) arrives whole', async () => {
        const [R, C] = [4099, 8193]; // 67.2 MB of bf16, an odd element count
        const f32 = new Float32Array(1);
        const u32 = new Uint32Array(f32.buffer);
        const bits = new Uint16Array(R * C);
        for (let i = 0; i < bits.length; i++) {
          f32[0] = (i % 251) - 125; // integers: exact in bf16 and f16
          bits[i] = u32[0] >>> 16;
        }
        const host: HostTensor = {
          shape: [R, C],
          dtype: 'bf16',
          bytes: new Uint8Array(bits.buffer),
        };
        for (const t of [gpu.weight('big', host), await gpu.loadWeight('big', hostStream(host))]) {
          const got = await gpu.read(t);
          gpu.dispose(t);
          for (const i of [0, 1, 33554431, 33554432, 33554433, bits.length - 1]) {
            assert.equal(got[i], (i % 251) - 125, `element ${i}`);
          }
          let bad = 0;
          for (let i = 0; i < got.length; i++) if (got[i] !== (i % 251) - 125) bad++;
          assert.equal(bad, 0);
        }
      });

      // 160 GiB of activations, past any single GPU today: a software adapter would take it
      // from the host instead
      test('activations past GPU memory: one out-of-memory error, then the device works', {
        skip: gpu.software && "software adapter (its memory is the host's)",
      }, async () => {
        const held = Array.from({ length: 160 }, () => gpu.zeros([2 ** 28], 'f32'));
        await assert.rejects(
          gpu.sync(),
          /out of GPU memory allocating 1\.00 GiB of activations .*lower --batch-size/,
        );
        for (const t of held) gpu.dispose(t);
        gpu.releaseCached();
        await gpu.sync(); // reported once
        const x = Float32Array.from(random(6));
        assert.deepEqual([...(await gpu.read(gpu.tensor(x, [2, 3])))], [...x]);
        const y = gpu.zeros([1024], 'f32');
        assert.deepEqual([...(await gpu.read(y))], new Array(1024).fill(0));
      });

      test('misuse gives one-line errors', () => {
        const x = gpu.tensor(random(6), [2, 3]);
        const w = gpu.weight('w', hostF16([4, 5]));
        assert.throws(() => gpu.linear(x, w), /^Error: linear: x \[2,3\] does not match w \[4,5\]/);
        assert.throws(
          () => gpu.tensor(new Float32Array(5), [2, 3]),
          /tensor: 5 values for shape \[2,3\]/,
        );
        gpu.dispose(x);
        assert.throws(() => gpu.softcap(x, 1), /softcap x: tensor used after dispose/);
      });

      test('description names the adapter and the kernels', () => {
        assert.match(
          gpu.description,
          /WebGPU\/Dawn.*weights f(16|32).*linear: (subgroup-matrix|tiled f32).*gemv/,
        );
      });
    });
  }
});

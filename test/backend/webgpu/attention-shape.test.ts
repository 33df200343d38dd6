// The attention kernel's block of positions: the most asked for that fits the adapter's workgroup memory.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attentionShape } from '../../../src/backend/webgpu/kernels/attention.js';

test('attention block: the most positions asked for where memory allows, fewer on small adapters, else an error', () => {
  assert.deepEqual(attentionShape(128, 4, 49152), { D: 128, G: 4, block: 8 });
  // Llama-3-8B: 2·32·129 + 4·128 + 4·32 + 12 floats = 34.6 KB
  assert.deepEqual(attentionShape(128, 4, 49152, 32), { D: 128, G: 4, block: 32 });
  // WebGPU's default 16 KiB: 2·8·129 + 512 + 32 + 12 floats = 10.5 KB; 16 positions need 18.6 KB
  assert.deepEqual(attentionShape(128, 4, 16384, 32), { D: 128, G: 4, block: 8 });
  assert.deepEqual(attentionShape(256, 8, 49152, 32), { D: 256, G: 8, block: 16 });
  assert.throws(
    () => attentionShape(256, 8, 8192),
    /head dim 256 with 8 query heads .* 8192 bytes/,
  );
});

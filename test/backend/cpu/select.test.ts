// selectBackend: 'cpu' is always the CPU backend; 'auto' gives WebGPU where an adapter exists and
// the CPU otherwise, and says which one it picked (and why) in one line.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BackendChoice, selectBackend } from '../../../src/backend/select.js';

test("'cpu' picks the CPU backend and says so", async () => {
  const lines: string[] = [];
  const backend = await selectBackend('cpu', (line) => lines.push(line));
  assert.equal(backend.name, 'cpu');
  assert.deepEqual(lines, ['backend: CPU (TypeScript, f32)']);
});

test("'auto' picks a working backend and gives the reason in one line", async () => {
  const lines: string[] = [];
  const backend = await selectBackend('auto', (line) => lines.push(line));
  assert.equal(lines.length, 1);
  if (backend.name === 'webgpu') assert.match(lines[0], /^backend: WebGPU, .* \(auto\)$/);
  else assert.match(lines[0], /^backend: CPU \(TypeScript, f32\) \(auto: no WebGPU — .+\)$/);
  backend.destroy();
});

test('an unknown choice is refused with the valid ones', async () => {
  await assert.rejects(
    selectBackend('tpu' as BackendChoice, () => {}),
    /'tpu' is unknown; use cpu, webgpu or auto/,
  );
});

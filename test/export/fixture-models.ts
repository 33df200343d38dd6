// Fixture models for the export tests: the seven architectures, f32 copies of them (so a bake can
// be compared with the run-time plan without stored-dtype rounding), the backends to run them on
// (CPU always; WebGPU where an adapter exists), and a log-prob comparison.

import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend } from '../../src/backend/backend.js';
import { hostToF32 } from '../../src/backend/cpu/dtype.js';
import { createCpuBackend } from '../../src/backend/cpu/index.js';
import { createWebGpuBackend } from '../../src/backend/webgpu/index.js';
import { openSafetensors, writeSafetensors } from '../../src/model/safetensors.js';

export const FIXTURES = 'test/fixtures/models';
export const ARCHITECTURES = [
  'llama',
  'mistral',
  'qwen2',
  'qwen3',
  'gemma2',
  'gemma3_text',
  'phi3',
];

/** Prompts of different lengths (token ids below the fixtures' vocabulary of 448). */
export const PROMPTS = [
  [1, 2, 3, 4, 5, 6, 7],
  [7, 8, 9],
  [30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40],
];

/** Copy a model folder with every safetensors tensor converted to f32. */
export async function f32Copy(source: string, target: string): Promise<void> {
  for (const name of await readdir(source)) {
    if (!name.endsWith('.safetensors')) {
      await copyFile(join(source, name), join(target, name));
      continue;
    }
    const file = await openSafetensors(join(source, name));
    const tensors = [];
    for (const [tensor, info] of file.tensors) {
      const values = hostToF32(tensor, await file.read(tensor));
      tensors.push([
        tensor,
        { shape: info.shape, dtype: 'f32' as const, bytes: new Uint8Array(values.buffer) },
      ] as const);
    }
    await writeSafetensors(join(target, name), tensors, file.metadata ?? undefined);
    await file.close();
  }
}

/** CPU, plus WebGPU when an adapter is found (required when CANDOR_REQUIRE_WEBGPU is set). */
export async function testBackends(): Promise<{ backends: Backend[]; skipped: string | null }> {
  const backends: Backend[] = [createCpuBackend()];
  try {
    backends.push(await createWebGpuBackend());
    return { backends, skipped: null };
  } catch (e) {
    if (process.env.CANDOR_REQUIRE_WEBGPU) throw e;
    return { backends, skipped: `WebGPU skipped: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** Largest absolute difference between two lists of log-prob rows. */
export function maxAbsDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let m = 0;
  a.forEach((row, i) => {
    for (let j = 0; j < row.length; j++) m = Math.max(m, Math.abs(row[j] - b[i][j]));
  });
  return m;
}

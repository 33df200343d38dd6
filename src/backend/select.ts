// Picks the backend a command runs on. 'auto' prefers WebGPU and falls back to the CPU; the
// WebGPU module is imported only when asked for, so the CPU path needs no GPU stack at all.

import type { Backend } from './backend.js';
import { createCpuBackend } from './cpu/index.js';

export type BackendChoice = 'cpu' | 'webgpu' | 'auto';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['cpu', 'webgpu', 'auto'];

async function createWebGpu(): Promise<Backend> {
  const { createWebGpuBackend } = await import('./webgpu/index.js');
  return createWebGpuBackend();
}

/** The backend for `choice`; says on `log` (stderr by default) which one was picked and why. */
export async function selectBackend(
  choice: BackendChoice,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<Backend> {
  if (choice === 'cpu') {
    const cpu = createCpuBackend();
    log(`backend: ${cpu.description}`);
    return cpu;
  }
  if (choice === 'webgpu') {
    const gpu = await createWebGpu();
    log(`backend: WebGPU, ${gpu.description}`);
    return gpu;
  }
  if (choice !== 'auto') {
    throw new Error(`backend '${String(choice)}' is unknown; use cpu, webgpu or auto`);
  }
  try {
    const gpu = await createWebGpu();
    log(`backend: WebGPU, ${gpu.description} (auto)`);
    return gpu;
  } catch (err) {
    const cpu = createCpuBackend();
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    log(`backend: ${cpu.description} (auto: no WebGPU — ${reason})`);
    return cpu;
  }
}

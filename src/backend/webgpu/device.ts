// Finds the GPU: Dawn instance (toggles), high-performance adapter, features (shader-f16,
// subgroups, subgroup matrices), limits, and the device's error and loss reporting. The Dawn
// instances live in a module-level map for the whole process: if one is garbage-collected while
// a device lives, the process dies at random (glibc mutex assertions, segfaults).

import { create, globals } from 'webgpu';

export interface WebGpuOptions {
  /** storage dtype of weights; default f16 where the adapter has shader-f16, else f32 */
  weightDType?: 'f16' | 'f32';
  /** keep Dawn's bounds-checking transform on real GPUs (off by default there: 2-5× on GEMM) */
  robustness?: boolean;
  /** test aid: fill every op output with NaN (i32: a sentinel) before the op writes it */
  poisonOutputs?: boolean;
  /** use the subgroup-matrix GEMM where offered (default true); false forces the tiled kernel */
  subgroupMatrix?: boolean;
}

/** A subgroup-matrix configuration the adapter offers (Dawn's chromium-experimental extension). */
export interface SubgroupMatrixConfig {
  componentType: string;
  resultComponentType: string;
  M: number;
  N: number;
  K: number;
}

export interface GpuContext {
  device: GPUDevice;
  adapterName: string;
  /** SwiftShader or another CPU implementation */
  software: boolean;
  robustness: boolean;
  shaderF16: boolean;
  subgroupSize: number | null;
  /** the 16×16×16 f16 → f32 configuration, where offered and enabled */
  subgroupMatrix: SubgroupMatrixConfig | null;
  /** timestamp queries are available (the kernel profile needs them) */
  timestamps: boolean;
  limits: GPUSupportedLimits;
  /** first uncaptured error or loss, surfaced at the next sync/read */
  failure: () => Error | null;
  /** resolves when the device is lost (never for a healthy device) */
  lost: Promise<Error>;
  /** destroys the device; its loss is then expected, not a failure */
  close: () => void;
}

interface AdapterInfoExt extends GPUAdapterInfo {
  subgroupMatrixConfigs?: Iterable<SubgroupMatrixConfig>;
}

const BASE_TOGGLES = ['allow_unsafe_apis', 'vulkan_enable_f16_on_nvidia'];
const instances = new Map<string, GPU>();
let globalsInstalled = false;

function instance(toggles: string[]): GPU {
  const key = toggles.join(',');
  let gpu = instances.get(key);
  if (!gpu) {
    if (!globalsInstalled) {
      // GPUBufferUsage, GPUMapMode, ... are globals in browsers; dawn.node exports them
      Object.assign(globalThis, globals);
      globalsInstalled = true;
    }
    // Unquantised timestamps: the kernel profile times single dispatches of a few microseconds.
    gpu = create([`enable-dawn-features=${key}`, 'disable-dawn-features=timestamp_quantization']);
    instances.set(key, gpu);
  }
  return gpu;
}

const NO_ADAPTER =
  'no WebGPU adapter found: install a Vulkan driver for your GPU (or, without a GPU, SwiftShader: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json from Debian chromium-common), or use --backend cpu';

export async function openDevice(opts: WebGpuOptions = {}): Promise<GpuContext> {
  let gpu = instance(BASE_TOGGLES);
  let adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error(NO_ADAPTER);
  const software = isSoftware(adapter.info);
  // Robustness clamps every array index; our kernels bound-check themselves. Keep it on for CPU
  // adapters (CI), where an out-of-bounds read would crash the process rather than read zero.
  const robustness = opts.robustness ?? software;
  if (!robustness) {
    gpu = instance([...BASE_TOGGLES, 'disable_robustness']);
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error(NO_ADAPTER);
  }
  const info = adapter.info as AdapterInfoExt;
  const want: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'];
  const matrixFeature = 'chromium-experimental-subgroup-matrix' as GPUFeatureName;
  const features = want.filter((f) => adapter.features.has(f));
  const config = [...(info.subgroupMatrixConfigs ?? [])].find(
    (c) =>
      c.componentType === 'f16' &&
      c.resultComponentType === 'f32' &&
      c.M === 16 &&
      c.N === 16 &&
      c.K === 16,
  );
  const subgroupSize =
    info.subgroupMinSize === info.subgroupMaxSize ? (info.subgroupMaxSize ?? null) : null;
  const useMatrix =
    (opts.subgroupMatrix ?? true) &&
    adapter.features.has(matrixFeature) &&
    features.includes('shader-f16') &&
    config !== undefined &&
    subgroupSize === 32;
  if (useMatrix) features.push(matrixFeature);

  const L = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxBufferSize: L.maxBufferSize,
    maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
    maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
    maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
  };
  const device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits });

  let failure: Error | null = null;
  device.addEventListener('uncapturederror', (event: Event) => {
    const message = (event as GPUUncapturedErrorEvent).error.message;
    // Work that used an object which failed earlier: the earlier error is the cause and was
    // reported where it happened (an allocation out of memory is caught there, and recoverable).
    if (/is invalid due to a previous error/.test(message)) return;
    failure ??= new Error(`WebGPU error on ${adapterName(info)}: ${oneLine(message)}`);
  });
  let destroyed = false;
  const lost = device.lost.then((lostInfo) => {
    const error = new Error(
      `WebGPU device lost (${lostInfo.reason}: ${oneLine(lostInfo.message)}); restart candor, or use --backend cpu`,
    );
    if (!destroyed) failure ??= error;
    return error;
  });

  return {
    device,
    adapterName: adapterName(info),
    software,
    robustness,
    shaderF16: features.includes('shader-f16'),
    subgroupSize,
    subgroupMatrix: useMatrix ? (config ?? null) : null,
    timestamps: features.includes('timestamp-query'),
    limits: device.limits,
    failure: () => failure,
    lost,
    close: () => {
      destroyed = true;
      device.destroy();
    },
  };
}

/** Dawn's `device` is the product name as a slug (e.g. swiftshader-device-subzero); the driver is in `description`. */
function adapterName(info: GPUAdapterInfo): string {
  const name = info.device || `${info.vendor} ${info.architecture}`.trim() || 'unknown adapter';
  return info.description ? `${name} (${info.description})` : name;
}

function isSoftware(info: GPUAdapterInfo): boolean {
  return (
    info.isFallbackAdapter ||
    /swiftshader|llvmpipe|lavapipe/i.test(`${info.architecture} ${info.description}`)
  );
}

/** Dawn's messages span lines (source excerpts); errors here are one line. */
function oneLine(message: string): string {
  const line = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join(' | ');
  return line.length > 600 ? `${line.slice(0, 600)}…` : line;
}

// The shape every kernel shares: named storage bindings, a uniform `Params` struct whose layout
// is declared once here (so WGSL and the host packer cannot disagree), the flat workgroup index
// of a 2-D grid (65,535 workgroups per dimension), and the f16/f32 weight loaders.

export type Access = 'read' | 'read_write';
export type ParamType = 'u32' | 'i32' | 'f32';
/** Storage dtype of a weight operand: f16 is read as packed u32 pairs (no shader-f16 needed). */
export type WeightType = 'f16' | 'f32';

export interface BufferDecl {
  name: string;
  access: Access;
  /** WGSL type, e.g. array<f32> */
  type: string;
}

/** A compiled-on-demand compute kernel: WGSL with entry point `main`. */
export interface Kernel {
  code: string;
  /** storage bindings 0..n-1 in this order; the uniform `u: Params` is binding n */
  buffers: BufferDecl[];
  /** uniform fields in struct order (all 4-byte scalars) */
  params: [string, ParamType][];
}

export interface ModuleParts {
  enables?: string[];
  buffers: BufferDecl[];
  params: [string, ParamType][];
  /** declarations and `fn main` */
  body: string;
}

export function wgslModule(parts: ModuleParts): Kernel {
  const enables = (parts.enables ?? []).map((e) => `enable ${e};\n`).join('');
  const decls = parts.buffers
    .map((b, i) => `@group(0) @binding(${i}) var<storage, ${b.access}> ${b.name}: ${b.type};`)
    .join('\n');
  // an empty struct is not valid WGSL: kernels without parameters get one padding field
  const fields =
    parts.params.length > 0 ? parts.params : ([['unused', 'u32']] as [string, ParamType][]);
  const struct = `struct Params {\n${fields.map(([n, t]) => `  ${n}: ${t},`).join('\n')}\n}`;
  const uniform = `@group(0) @binding(${parts.buffers.length}) var<uniform> u: Params;`;
  const header = `${enables.includes('chromium_experimental_subgroup_matrix') ? 'diagnostic(off, chromium.subgroup_matrix_uniformity);\n' : ''}`;
  return {
    code: `${enables}${header}${decls}\n${struct}\n${uniform}\n${parts.body}`,
    buffers: parts.buffers,
    params: fields,
  };
}

/** Largest workgroup count per grid dimension (WebGPU's default and common hardware limit). */
export const MAX_GROUPS = 65535;

/** n workgroups as a 2-D grid; kernels recover the flat index with FLAT_GROUP and skip the excess. */
export function grid(n: number): [number, number] {
  if (n <= MAX_GROUPS) return [Math.max(n, 1), 1];
  const y = Math.ceil(n / MAX_GROUPS);
  return [Math.ceil(n / y), y];
}

/** Builtins of `main` for a kernel launched with `grid`. */
export const GRID_ARGS =
  '@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32';
/** Flat workgroup index of a `grid` launch. */
export const FLAT_GROUP = 'let group = wg.x + wg.y * nwg.x;';

/** Storage declaration of a read-only weight operand of the given storage type. */
export function weightDecl(name: string, type: WeightType): BufferDecl {
  return { name, access: 'read', type: type === 'f16' ? 'array<u32>' : 'array<f32>' };
}

/** `fn <name>At(i: u32) -> f32` reading element i of a weight operand as f32. */
export function weightLoader(name: string, type: WeightType): string {
  return type === 'f16'
    ? `fn ${name}At(i: u32) -> f32 { return unpack2x16float(${name}[i >> 1u])[i & 1u]; }`
    : `fn ${name}At(i: u32) -> f32 { return ${name}[i]; }`;
}

/** tanh that stays finite for large |x| (some drivers compute it through exp and overflow). */
export const SAFE_TANH = 'fn safeTanh(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }';

/** NaN at run time (a constant NaN expression is a WGSL compile error). */
export const NAN_F32 = 'fn nanF32() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }';

/**
 * Sum of `partial[0..n)` (n a power of two, one value per thread, written just before) made
 * available to every thread as `total`, in two levels with two barriers rather than a log2(n)-
 * barrier tree. Declares `partial` and `partial2`.
 */
export function workgroupSum(n: number): { decl: string; code: string } {
  const g = 2 ** Math.ceil(Math.log2(n) / 2);
  const groups = n / g;
  return {
    decl: `var<workgroup> partial: array<f32, ${n}>;\nvar<workgroup> partial2: array<f32, ${groups}>;`,
    code: `  workgroupBarrier();
  if (lid < ${groups}u) {
    var s = 0.0;
    for (var i = 0u; i < ${g}u; i++) { s += partial[lid * ${g}u + i]; }
    partial2[lid] = s;
  }
  workgroupBarrier();
  var total = 0.0;
  for (var i = 0u; i < ${groups}u; i++) { total += partial2[i]; }
`,
  };
}

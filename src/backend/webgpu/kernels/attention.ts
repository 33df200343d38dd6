// Attention of each query row over the cached keys/values of its own sequence (GQA, causal,
// optional sliding window and logit soft-capping), flash-style: one workgroup per (row, KV head)
// serves the G query heads that share that KV head, so each cached key and value is read once
// for all G of them. It walks the allowed positions in blocks: the block's keys and values are
// copied to workgroup memory by consecutive threads (coalesced; a position of one head is D
// contiguous floats), then every thread takes a (head, position) score and a (head, dim) output.
// An online softmax carries the running max and sum across blocks, so no score matrix is stored.

import { FLAT_GROUP, GRID_ARGS, type Kernel, SAFE_TANH, wgslModule } from '../wgsl.js';

const ATTENTION_THREADS = 128;

/** The attention kernel's compile-time shape. */
export interface AttentionShape {
  /** head dim */
  D: number;
  /** query heads per KV head */
  G: number;
  /** positions per block (keys and values of a block sit in workgroup memory) */
  block: number;
}

/** Bytes of workgroup memory a shape needs (rows padded by one float against bank conflicts). */
function workgroupBytes({ D, G, block }: AttentionShape): number {
  return 4 * (2 * block * (D + 1) + G * D + G * block + 3 * G);
}

/**
 * Fastest of 32, 16, 8 on an H100 (Llama-3-8B shape; attention GPU time in prefill b64 152, 107,
 * 91 ms; decode at 100 rows 95, 73, 63 ms): less workgroup memory, more workgroups per SM.
 */
export const ATTENTION_BLOCK_DEFAULT = 8;

/** The largest block (a power of two up to `most`) whose workgroup memory fits `limit` bytes. */
export function attentionShape(
  D: number,
  G: number,
  limit: number,
  most = ATTENTION_BLOCK_DEFAULT,
): AttentionShape {
  for (let block = most; block >= 1; block /= 2) {
    const shape = { D, G, block };
    if (workgroupBytes(shape) <= limit) return shape;
  }
  throw new Error(
    `attention: head dim ${D} with ${G} query heads per KV head needs more than the adapter's ${limit} bytes of workgroup memory`,
  );
}

/**
 * q [T, H·D], cacheK/cacheV [S, P, K·D], seq/pos i32[T] → out [T, H·D]; launched over grid(T·K),
 * H = K·G. window 0: no sliding window; cap 0: no soft-capping.
 */
export function attentionKernel(shape: AttentionShape): Kernel {
  const { D, G, block: B } = shape;
  const N = ATTENTION_THREADS;
  const R = D + 1; // padded row: the threads of one score read different banks
  const owned = Math.ceil((G * D) / N);
  // A block's keys and values, copied with every load of a thread issued before its first
  // store: a load-store loop waits out the memory latency once per element (2× slower at
  // decode on an H100 than the strided kernel this replaced).
  const width = D % 4 === 0 ? 4 : 1;
  const chunksPerRow = D / width;
  const perThread = Math.ceil((B * chunksPerRow) / N);
  const vec = width === 4 ? 'vec4f' : 'f32';
  let copyLoad = '';
  let copyStore = '';
  for (let c = 0; c < perThread; c++) {
    copyLoad += `    let c${c} = lid + ${c * N}u;
    let p${c} = c${c} / ${chunksPerRow}u;
    let d${c} = (c${c} - p${c} * ${chunksPerRow}u) * ${width}u;
    var k${c} = ${vec}();
    var v${c} = ${vec}();
    if (p${c} < count) {
      let at = (seqBase + (b0 + p${c}) * rowStride + d${c}) / ${width}u;
      k${c} = cacheK[at];
      v${c} = cacheV[at];
    }
`;
    const lanes = width === 4 ? ['x', 'y', 'z', 'w'] : [''];
    copyStore += `    if (p${c} < count) {\n`;
    lanes.forEach((l, j) => {
      const sel = l ? `.${l}` : '';
      copyStore += `      ks[p${c} * ${R}u + d${c} + ${j}u] = k${c}${sel};
      vs[p${c} * ${R}u + d${c} + ${j}u] = v${c}${sel};
`;
    });
    copyStore += '    }\n';
  }
  let accInit = '';
  let accUpdate = '';
  let accStore = '';
  for (let k = 0; k < owned; k++) {
    const o = `lid + ${k * N}u`;
    const guard = (k + 1) * N > G * D ? `if (${o} < ${G * D}u) ` : '';
    accInit += `  var acc${k} = 0.0;\n`;
    accUpdate += `    ${guard}{
      let g = (${o}) / ${D}u;
      let d = (${o}) % ${D}u;
      var a = acc${k} * headAlpha[g];
      for (var p = 0u; p < count; p++) { a += probs[g * ${B}u + p] * vs[p * ${R}u + d]; }
      acc${k} = a;
    }\n`;
    accStore += `  ${guard}{
    let g = (${o}) / ${D}u;
    out[(t * u.H + kvHead * ${G}u + g) * ${D}u + (${o}) % ${D}u] = acc${k} / headL[g];
  }\n`;
  }
  return wgslModule({
    buffers: [
      { name: 'q', access: 'read', type: 'array<f32>' },
      { name: 'cacheK', access: 'read', type: `array<${vec}>` },
      { name: 'cacheV', access: 'read', type: `array<${vec}>` },
      { name: 'seq', access: 'read', type: 'array<i32>' },
      { name: 'pos', access: 'read', type: 'array<i32>' },
      { name: 'out', access: 'read_write', type: 'array<f32>' },
    ],
    params: [
      ['T', 'u32'],
      ['H', 'u32'],
      ['K', 'u32'],
      ['P', 'u32'],
      ['scale', 'f32'],
      ['window', 'u32'],
      ['cap', 'f32'],
    ],
    body: `${SAFE_TANH}
var<workgroup> qs: array<f32, ${G * D}>;
var<workgroup> ks: array<f32, ${B * R}>;
var<workgroup> vs: array<f32, ${B * R}>;
var<workgroup> probs: array<f32, ${G * B}>;
var<workgroup> headM: array<f32, ${G}>;
var<workgroup> headL: array<f32, ${G}>;
var<workgroup> headAlpha: array<f32, ${G}>;
@compute @workgroup_size(${N})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  if (group >= u.T * u.K) { return; }
  let t = group / u.K;
  let kvHead = group - t * u.K;
  let qBase = (t * u.H + kvHead * ${G}u) * ${D}u;   // the G heads of this KV head are adjacent
  for (var i = lid; i < ${G * D}u; i += ${N}u) { qs[i] = q[qBase + i] * u.scale; }
  if (lid < ${G}u) { headM[lid] = -3.0e38; headL[lid] = 0.0; }
  let rowStride = u.K * ${D}u;            // floats between consecutive positions
  let seqBase = u32(seq[t]) * u.P * rowStride + kvHead * ${D}u;
  let hi = min(u32(pos[t]), u.P - 1u);    // inclusive
  var lo = 0u;
  if (u.window > 0u && hi + 1u > u.window) { lo = hi + 1u - u.window; }
${accInit}  for (var b0 = lo; b0 <= hi; b0 += ${B}u) {
    let count = min(${B}u, hi + 1u - b0);
    // the previous block's readers of ks, vs and probs are done before they are overwritten
    workgroupBarrier();
${copyLoad}${copyStore}    workgroupBarrier();
    for (var i = lid; i < ${G * B}u; i += ${N}u) {
      let g = i / ${B}u;
      let p = i - g * ${B}u;
      var s = -3.0e38;
      if (p < count) {
        s = 0.0;
        for (var d = 0u; d < ${D}u; d++) { s += qs[g * ${D}u + d] * ks[p * ${R}u + d]; }
        if (u.cap > 0.0) { s = u.cap * safeTanh(s / u.cap); }
      }
      probs[i] = s;
    }
    workgroupBarrier();
    if (lid < ${G}u) {
      var mNew = headM[lid];
      for (var p = 0u; p < count; p++) { mNew = max(mNew, probs[lid * ${B}u + p]); }
      headAlpha[lid] = exp(headM[lid] - mNew);
      headM[lid] = mNew;
    }
    workgroupBarrier();
    for (var i = lid; i < ${G * B}u; i += ${N}u) {
      let g = i / ${B}u;
      var e = 0.0;
      if (i - g * ${B}u < count) { e = exp(probs[i] - headM[g]); }
      probs[i] = e;
    }
    workgroupBarrier();
    if (lid < ${G}u) {
      var sum = 0.0;
      for (var p = 0u; p < count; p++) { sum += probs[lid * ${B}u + p]; }
      headL[lid] = headL[lid] * headAlpha[lid] + sum;
    }
${accUpdate}  }
  workgroupBarrier();
${accStore}}`,
  });
}

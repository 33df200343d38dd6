// Attention of each query row over the cached keys/values of its own sequence (GQA, causal,
// optional sliding window and logit soft-capping), flash-style: one workgroup per (row, head)
// walks the allowed positions in blocks of ATTENTION_THREADS with an online softmax, so a long
// prefill is T·H independent workgroups and no score matrix is ever stored. Two barriers a
// block: every thread reads the block's scores and probabilities from workgroup memory itself
// rather than waiting on log2(B)-barrier reduction trees.

import { FLAT_GROUP, GRID_ARGS, type Kernel, SAFE_TANH, wgslModule } from '../wgsl.js';

export const ATTENTION_THREADS = 64;

/**
 * q [T, H·D], cacheK/cacheV [S, P, K·D], seq/pos i32[T] → out [T, H·D]; launched over grid(T·H).
 * window 0: no sliding window; cap 0: no soft-capping. Head dim D is compiled in.
 */
export function attentionKernel(D: number): Kernel {
  const B = ATTENTION_THREADS;
  const perThread = Math.ceil(D / B);
  let accInit = '';
  let accUpdate = '';
  let accStore = '';
  for (let k = 0; k < perThread; k++) {
    const d = `lid + ${k * B}u`;
    const guard = (k + 1) * B > D ? `if (${d} < ${D}u) ` : '';
    accInit += `  var acc${k} = 0.0;\n`;
    accUpdate += `    ${guard}{ var a = acc${k} * alpha; for (var jj = 0u; jj < count; jj++) { a += probs[jj] * cacheV[(vBase + jj * rowStride) + ${d}]; } acc${k} = a; }\n`;
    accStore += `  ${guard}{ out[qBase + ${d}] = acc${k} / l; }\n`;
  }
  return wgslModule({
    buffers: [
      { name: 'q', access: 'read', type: 'array<f32>' },
      { name: 'cacheK', access: 'read', type: 'array<f32>' },
      { name: 'cacheV', access: 'read', type: 'array<f32>' },
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
var<workgroup> qs: array<f32, ${D}>;
var<workgroup> scores: array<f32, ${B}>;
var<workgroup> probs: array<f32, ${B}>;
@compute @workgroup_size(${B})
fn main(${GRID_ARGS}) {
  ${FLAT_GROUP}
  if (group >= u.T * u.H) { return; }
  let t = group / u.H;
  let h = group - t * u.H;
  let kvHead = h / (u.H / u.K);
  let qBase = (t * u.H + h) * ${D}u;
  for (var d = lid; d < ${D}u; d += ${B}u) { qs[d] = q[qBase + d] * u.scale; }
  let rowStride = u.K * ${D}u;            // floats between consecutive positions
  let seqBase = u32(seq[t]) * u.P * rowStride + kvHead * ${D}u;
  let hi = min(u32(pos[t]), u.P - 1u);    // inclusive
  var lo = 0u;
  if (u.window > 0u && hi + 1u > u.window) { lo = hi + 1u - u.window; }
${accInit}  var m = -3.0e38;
  var l = 0.0;
  workgroupBarrier();
  for (var b0 = lo; b0 <= hi; b0 += ${B}u) {
    let count = min(${B}u, hi + 1u - b0);
    var score = -3.0e38;
    if (lid < count) {
      let kBase = seqBase + (b0 + lid) * rowStride;
      var s = 0.0;
      for (var d = 0u; d < ${D}u; d++) { s += qs[d] * cacheK[kBase + d]; }
      if (u.cap > 0.0) { s = u.cap * safeTanh(s / u.cap); }
      score = s;
    }
    // scores and probs are separate arrays, so one barrier after each write is enough:
    // a block's writes of one never race the previous block's reads of the other
    scores[lid] = score;
    workgroupBarrier();
    var mNew = m;
    for (var jj = 0u; jj < count; jj++) { mNew = max(mNew, scores[jj]); }
    let alpha = exp(m - mNew);
    var p = 0.0;
    if (lid < count) { p = exp(score - mNew); }
    probs[lid] = p;
    workgroupBarrier();
    var blockSum = 0.0;
    for (var jj = 0u; jj < count; jj++) { blockSum += probs[jj]; }
    l = l * alpha + blockSum;
    m = mNew;
    let vBase = seqBase + b0 * rowStride;
${accUpdate}  }
${accStore}}`,
  });
}

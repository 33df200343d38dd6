// Residual analysis per hidden state: sizes of the harmful and harmless means, their cosine,
// how far apart the two prompt sets lie along the refusal direction (Fisher ratio of the
// projections, and the silhouette of the kept samples), and how much the direction turns from
// one layer to the next. The state where refusal is most separable is marked.

import type { SeparationRow } from '../ablate/diagnostics.js';
import type { ResidualStats } from '../ablate/directions.js';
import { textTable } from '../util/table.js';

export interface LayerAnalysis {
  /** hidden state: 0 = embedding output, l = output of layer l */
  state: number;
  harmfulNorm: number;
  harmlessNorm: number;
  /** cos(harmful mean, harmless mean) */
  cosine: number;
  /**
   * (m_b − m_g)² / (v_b + v_g) of the kept samples projected on the refusal direction
   * (population means and variances); 0 when a set kept no sample
   */
  fisher: number;
  silhouette: number | null;
  /** cos(direction of this state, direction of the previous one); null for state 0 */
  neighbourCosine: number | null;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function meanAndVariance(values: readonly number[]): [number, number] {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return [m, values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length];
}

/** Fisher ratio of two sample sets along unit direction r. */
export function fisherRatio(
  first: readonly Float32Array[],
  second: readonly Float32Array[],
  r: ArrayLike<number>,
): number {
  if (first.length === 0 || second.length === 0) return 0;
  const [m1, v1] = meanAndVariance(first.map((x) => dot(x, r)));
  const [m2, v2] = meanAndVariance(second.map((x) => dot(x, r)));
  const spread = v1 + v2;
  return spread === 0 ? (m1 === m2 ? 0 : Number.POSITIVE_INFINITY) : (m1 - m2) ** 2 / spread;
}

/**
 * One row per hidden state from the diagnostics of `measureDirections`; `directions` are the
 * unit refusal directions the sets are projected on (the original model's, when analysing an
 * edited one, so that the edit's effect along them shows).
 */
export function analyseLayers(
  harmful: ResidualStats,
  harmless: ResidualStats,
  diagnostics: readonly SeparationRow[],
  directions: readonly Float32Array[],
): LayerAnalysis[] {
  return diagnostics.map((d, state) => ({
    state,
    harmfulNorm: d.harmfulNorm,
    harmlessNorm: d.harmlessNorm,
    cosine: d.cosine,
    fisher: fisherRatio(harmful.sample[state], harmless.sample[state], directions[state]),
    silhouette: d.silhouette,
    neighbourCosine: state === 0 ? null : dot(directions[state], directions[state - 1]),
  }));
}

/** The state where refusal is most separable: the largest Fisher ratio after the embeddings. */
export function mostSeparable(rows: readonly LayerAnalysis[]): number {
  let best = rows.length > 1 ? 1 : 0;
  for (let i = best; i < rows.length; i++) if (rows[i].fisher > rows[best].fisher) best = i;
  return best;
}

const fixed = (v: number | null, digits: number): string => (v === null ? '-' : v.toFixed(digits));

/** Fixed-width table, the most separable state marked with '*'; `edited` adds the edit's columns. */
export function formatLayerTable(
  rows: readonly LayerAnalysis[],
  edited: readonly LayerAnalysis[] | null,
): string {
  const best = mostSeparable(rows);
  const header = ['state', '|g|', '|b|', 'cos(g,b)', 'fisher', 'silh', 'cos(r,r-1)'];
  if (edited) header.push('fisher edited', 'silh edited');
  const lines = rows.map((r, i) => {
    const cells = [
      `${i === best ? '*' : ''}${r.state}`,
      r.harmlessNorm.toPrecision(4),
      r.harmfulNorm.toPrecision(4),
      fixed(r.cosine, 4),
      r.fisher.toPrecision(4),
      fixed(r.silhouette, 4),
      fixed(r.neighbourCosine, 4),
    ];
    if (edited) cells.push(edited[i].fisher.toPrecision(4), fixed(edited[i].silhouette, 4));
    return cells;
  });
  return [
    ...textTable(header, lines),
    'g, b: harmless, harmful mean residual; state 0 = embeddings, l = after layer l; * = most separable',
    'fisher: (mean difference along the refusal direction r)² / (sum of variances); silh: silhouette;',
    'cos(r,r-1): cosine of neighbouring directions' +
      (edited ? '; edited: the same sets with the plan applied, along the original r' : ''),
  ].join('\n');
}

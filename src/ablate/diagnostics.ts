// How well harmful and harmless residuals separate, per hidden state: the numbers users read to
// judge where refusal lives (cosine of the means, size of their difference, a silhouette score
// of the kept samples), as JSON rows and as a compact text table.

import { textTable } from '../util/table.js';
import type { ResidualStats } from './directions.js';

export interface SeparationRow {
  /** hidden state: 0 = embedding output, l = output of layer l */
  state: number;
  /** cos(g, b) of the harmless mean g and the harmful mean b */
  cosine: number;
  /** ‖b − g‖ */
  differenceNorm: number;
  harmfulNorm: number;
  harmlessNorm: number;
  /** cos(b − g, g): the share of the difference that `projected` removes */
  differenceAlongHarmless: number;
  /** mean silhouette coefficient (Euclidean) of the kept samples, harmful vs harmless; null if a set kept none */
  silhouette: number | null;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const d = Math.sqrt(dot(a, a) * dot(b, b));
  return d === 0 ? 0 : dot(a, b) / d;
}

/**
 * Mean silhouette coefficient of two clusters (as sklearn's silhouette_score): for each point,
 * a = mean distance to the other points of its cluster, b = mean distance to the points of the
 * other cluster, s = (b − a) / max(a, b); a point alone in its cluster scores 0.
 */
export function silhouette(
  first: readonly Float32Array[],
  second: readonly Float32Array[],
): number {
  const points = [...first, ...second];
  const n = points.length;
  const distance = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const x = points[i];
      const y = points[j];
      let s = 0;
      for (let c = 0; c < x.length; c++) s += (x[c] - y[c]) ** 2;
      distance[i * n + j] = distance[j * n + i] = Math.sqrt(s);
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const inFirst = i < first.length;
    const own = inFirst ? first.length : second.length;
    if (own === 1) continue;
    let sameSum = 0;
    let otherSum = 0;
    for (let j = 0; j < n; j++) {
      if (j < first.length === inFirst) sameSum += distance[i * n + j];
      else otherSum += distance[i * n + j];
    }
    const a = sameSum / (own - 1);
    const b = otherSum / (n - own);
    const m = Math.max(a, b);
    total += m === 0 ? 0 : (b - a) / m;
  }
  return total / n;
}

export function separationDiagnostics(
  harmful: ResidualStats,
  harmless: ResidualStats,
): SeparationRow[] {
  return harmful.means.map((b, state) => {
    const g = harmless.means[state];
    const difference = b.map((x, c) => x - g[c]);
    const kept = harmful.sample[state].length > 0 && harmless.sample[state].length > 0;
    return {
      state,
      cosine: cosine(g, b),
      differenceNorm: Math.sqrt(dot(difference, difference)),
      harmfulNorm: Math.sqrt(dot(b, b)),
      harmlessNorm: Math.sqrt(dot(g, g)),
      differenceAlongHarmless: cosine(difference, g),
      silhouette: kept ? silhouette(harmful.sample[state], harmless.sample[state]) : null,
    };
  });
}

/** The rows as a fixed-width table with a legend, one line per hidden state. */
export function formatSeparationTable(rows: readonly SeparationRow[]): string {
  const header = ['state', 'cos(g,b)', '|b-g|', '|g|', '|b|', 'cos(b-g,g)', 'silh'];
  const lines = rows.map((r) => [
    String(r.state),
    r.cosine.toFixed(4),
    r.differenceNorm.toPrecision(4),
    r.harmlessNorm.toPrecision(4),
    r.harmfulNorm.toPrecision(4),
    r.differenceAlongHarmless.toFixed(4),
    r.silhouette === null ? '-' : r.silhouette.toFixed(4),
  ]);
  return [
    ...textTable(header, lines),
    'g, b: mean residual of harmless, harmful prompts; state 0 = embeddings, l = after layer l;',
    'silh: silhouette of the kept samples (1 = cleanly separated, 0 = overlapping)',
  ].join('\n');
}

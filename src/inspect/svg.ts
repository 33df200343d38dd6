// SVG drawings of the residual analysis, self-contained (no scripts, no external fonts) so that
// they open in a browser, embed in the dashboard and diff in review: a scatter of one layer's
// 2-D projection, and the per-layer separation curves.

import type { LayerAnalysis } from './analysis.js';

const W = 360;
const H = 300;
const PAD = 30;
const HARMFUL = '#c30';
const HARMLESS = '#06c';

const escapeXml = (s: string): string => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Linear map of [lo, hi] onto [a, b]; a flat range maps to the middle. */
function scale(lo: number, hi: number, a: number, b: number): (v: number) => number {
  return hi === lo ? () => (a + b) / 2 : (v) => a + ((v - lo) / (hi - lo)) * (b - a);
}

/** Harmful and harmless points of one projection; `title` names layer and method. */
export function projectionSvg(
  title: string,
  harmful: readonly [number, number][],
  harmless: readonly [number, number][],
): string {
  const all = [...harmful, ...harmless];
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x = scale(Math.min(...xs), Math.max(...xs), PAD, W - PAD);
  const y = scale(Math.min(...ys), Math.max(...ys), H - PAD, PAD + 10);
  const dots = (points: readonly [number, number][], colour: string, set: string): string =>
    points
      .map(
        ([px, py]) =>
          `<circle class="${set}" cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="3.5" fill="${colour}" fill-opacity="0.7"/>`,
      )
      .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect x="0.5" y="0.5" width="${W - 1}" height="${H - 1}" fill="#fff" stroke="#ddd"/>`,
    `<text x="${PAD}" y="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${W - 130}" y="16" fill="${HARMFUL}">● harmful</text>`,
    `<text x="${W - 65}" y="16" fill="${HARMLESS}">● harmless</text>`,
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle" fill="#666">PC 1</text>`,
    `<text x="10" y="${H / 2}" fill="#666" transform="rotate(-90 10 ${H / 2})" text-anchor="middle">PC 2</text>`,
    dots(harmless, HARMLESS, 'harmless'),
    dots(harmful, HARMFUL, 'harmful'),
    '</svg>',
  ].join('');
}

/** Fisher ratio (log scale) and silhouette per hidden state; the marked state gets a line. */
export function separationSvg(
  rows: readonly LayerAnalysis[],
  edited: readonly LayerAnalysis[] | null,
  marked: number,
): string {
  const n = rows.length;
  const x = scale(0, Math.max(1, n - 1), PAD + 10, W - PAD);
  const logF = (r: LayerAnalysis): number => Math.log10(Math.max(r.fisher, 1e-6));
  const fisherValues = [...rows, ...(edited ?? [])].map(logF);
  const yF = scale(Math.min(...fisherValues), Math.max(...fisherValues), H - PAD, PAD + 10);
  const yS = scale(-1, 1, H - PAD, PAD + 10);
  const line = (values: number[], colour: string, dash: string): string =>
    `<polyline fill="none" stroke="${colour}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${values
      .map((v, i) => `${x(i).toFixed(1)},${v.toFixed(1)}`)
      .join(' ')}"/>`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect x="0.5" y="0.5" width="${W - 1}" height="${H - 1}" fill="#fff" stroke="#ddd"/>`,
    `<text x="${PAD}" y="16" fill="#06c">log₁₀ Fisher ratio</text>`,
    `<text x="${PAD + 120}" y="16" fill="#393">silhouette</text>`,
    edited ? `<text x="${PAD + 190}" y="16" fill="#666">dashed: edited</text>` : '',
    `<line class="most-separable" x1="${x(marked)}" x2="${x(marked)}" y1="${PAD}" y2="${H - PAD}" stroke="#c30" stroke-dasharray="3 3"/>`,
    `<text x="${x(marked) + 3}" y="${PAD + 20}" fill="#c30">state ${marked}</text>`,
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle" fill="#666">hidden state (0 = embeddings)</text>`,
    line(
      rows.map((r) => yF(logF(r))),
      '#06c',
      '',
    ),
    line(
      rows.map((r) => yS(r.silhouette ?? 0)),
      '#393',
      '',
    ),
  ];
  if (edited) {
    parts.push(
      line(
        edited.map((r) => yF(logF(r))),
        '#06c',
        '5 4',
      ),
    );
    parts.push(
      line(
        edited.map((r) => yS(r.silhouette ?? 0)),
        '#393',
        '5 4',
      ),
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

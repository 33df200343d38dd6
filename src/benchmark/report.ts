// Benchmark results: per task and metric, the original and edited means with standard errors and
// their paired difference, as a text table, as JSON (`--json`), and as an SVG bar chart panel.

import { textTable } from '../util/table.js';
import type { ItemScores } from './run.js';
import { type MeanWithError, meanWithError, pairedDifference } from './score.js';

export interface MetricRow {
  task: string;
  metric: string;
  n: number;
  original: MeanWithError;
  /** null when only one model variant was scored */
  edited: MeanWithError | null;
  difference: MeanWithError | null;
}

export function metricRows(
  task: string,
  original: ItemScores,
  edited: ItemScores | null,
): MetricRow[] {
  return Object.keys(original).map((metric) => ({
    task,
    metric,
    n: original[metric].length,
    original: meanWithError(original[metric]),
    edited: edited ? meanWithError(edited[metric]) : null,
    difference: edited ? pairedDifference(original[metric], edited[metric]) : null,
  }));
}

const pm = (m: MeanWithError | null, signed = false): string =>
  m === null
    ? '-'
    : `${signed && m.value >= 0 ? '+' : ''}${m.value.toFixed(4)} ± ${m.stderr.toFixed(4)}`;

/** Fixed-width table: task, metric, n, original, edited, difference (each ± standard error). */
export function formatResultsTable(rows: readonly MetricRow[]): string {
  const header = ['task', 'metric', 'n', 'original', 'edited', 'edited - original'];
  const lines = rows.map((r) => [
    r.task,
    r.metric,
    String(r.n),
    pm(r.original),
    pm(r.edited),
    pm(r.difference, true),
  ]);
  return [
    ...textTable(header, lines, 2),
    '± standard error of the mean (sample sd / √n); the difference is paired over the same items',
  ].join('\n');
}

export interface ResultsJson {
  format: 'candor-benchmark';
  version: 1;
  model: string;
  /** what "edited" is: a plan file or a model; null when only the original was scored */
  edited: string | null;
  tasks: Record<
    string,
    {
      n: number;
      original: Record<string, number>;
      edited: Record<string, number> | null;
      difference: Record<string, number> | null;
    }
  >;
}

/** Per task: metric and metric_stderr (harness naming) for original, edited and difference. */
export function resultsJson(
  model: string,
  edited: string | null,
  rows: readonly MetricRow[],
): ResultsJson {
  const tasks: ResultsJson['tasks'] = {};
  const put = (into: Record<string, number>, metric: string, m: MeanWithError): void => {
    into[metric] = m.value;
    into[`${metric}_stderr`] = m.stderr;
  };
  for (const r of rows) {
    const t = (tasks[r.task] ??= {
      n: r.n,
      original: {},
      edited: r.edited ? {} : null,
      difference: r.difference ? {} : null,
    });
    put(t.original, r.metric, r.original);
    if (r.edited && t.edited) put(t.edited, r.metric, r.edited);
    if (r.difference && t.difference) put(t.difference, r.metric, r.difference);
  }
  return { format: 'candor-benchmark', version: 1, model, edited, tasks };
}

const escapeXml = (s: string): string => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Bars of original and edited per task/metric, with ±1 standard error whiskers. */
export function resultsSvg(rows: readonly MetricRow[]): string {
  const rowH = 26;
  const left = 200;
  const width = 460;
  const plotW = width - left - 20;
  const height = 30 + rows.length * rowH;
  const x = (v: number): number => left + Math.max(0, Math.min(1, v)) * plotW;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<text x="${left}" y="12" fill="#888">original</text><text x="${left + 60}" y="12" fill="#06c">edited</text>`,
  ];
  for (const [i, r] of rows.entries()) {
    const y = 20 + i * rowH;
    parts.push(`<text x="4" y="${y + 14}">${escapeXml(`${r.task} ${r.metric}`)}</text>`);
    const bar = (m: MeanWithError, dy: number, colour: string): void => {
      parts.push(
        `<rect x="${left}" y="${y + dy}" width="${(x(m.value) - left).toFixed(1)}" height="9" fill="${colour}"><title>${m.value.toFixed(4)} ± ${m.stderr.toFixed(4)}</title></rect>`,
        `<line x1="${x(m.value - m.stderr).toFixed(1)}" x2="${x(m.value + m.stderr).toFixed(1)}" y1="${y + dy + 4.5}" y2="${y + dy + 4.5}" stroke="#000"/>`,
      );
    };
    bar(r.original, 2, '#888');
    if (r.edited) bar(r.edited, 12, '#06c');
  }
  parts.push('</svg>');
  return parts.join('');
}

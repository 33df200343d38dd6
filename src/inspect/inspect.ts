// The whole `candor inspect` analysis on a loaded engine: residuals of both prompt sets (and, with
// a plan, the same with the plan applied), the per-state table, a PCA projection per state, and
// the result as files (JSON, table, SVGs) and dashboard panels (one per state, for the slider).

import { join } from 'node:path';
import { measureDirections } from '../ablate/directions-report.js';
import type { Engine } from '../engine/engine.js';
import type { AblationChoice } from '../engine/types.js';
import { writeFileSafely } from '../export/output-folder.js';
import { analyseLayers, formatLayerTable, type LayerAnalysis, mostSeparable } from './analysis.js';
import { pca2 } from './projection.js';
import { projectionSvg, separationSvg } from './svg.js';

export interface InspectOptions {
  /** prompts of each set kept for the silhouette, Fisher ratio and projections */
  samples: number;
  batchSize: number;
  ablation?: AblationChoice;
  onProgress?: (line: string) => void;
}

/** One model variant's analysis: table rows and each state's projected samples. */
export interface VariantAnalysis {
  rows: LayerAnalysis[];
  /** per state: [harmful points, harmless points] on the state's first two principal axes */
  projections: [[number, number][], [number, number][]][];
}

export interface InspectReport {
  original: VariantAnalysis;
  edited: VariantAnalysis | null;
  /** the most separable state of the original model */
  mostSeparable: number;
}

async function variant(
  engine: Engine,
  harmful: number[][],
  harmless: number[][],
  options: InspectOptions,
  ablation: AblationChoice | undefined,
  directions: Float32Array[] | null,
): Promise<VariantAnalysis & { directions: Float32Array[] }> {
  const label = ablation ? 'with the plan' : 'original';
  const report = await measureDirections(
    { residuals: (prompts) => engine.residuals(prompts, ablation ? { ablation } : {}) },
    harmful,
    harmless,
    {
      method: 'plain',
      winsorize: 0,
      sampleSize: options.samples,
      batchSize: options.batchSize,
      states: engine.spec.numLayers + 1,
      hiddenSize: engine.spec.hiddenSize,
      onBatch: (set, done, total) =>
        options.onProgress?.(`residuals ${label} ${set}: ${done}/${total}`),
    },
  );
  const along = directions ?? report.directions;
  const rows = analyseLayers(report.harmful, report.harmless, report.diagnostics, along);
  const projections = report.harmful.sample.map((b, state) => {
    const points = pca2([...b, ...report.harmless.sample[state]]);
    return [points.slice(0, b.length), points.slice(b.length)] as [
      [number, number][],
      [number, number][],
    ];
  });
  return { rows, projections, directions: report.directions };
}

/** Original (and with `options.ablation`, edited) analysis of the two prompt sets. */
export async function inspectResiduals(
  engine: Engine,
  harmful: number[][],
  harmless: number[][],
  options: InspectOptions,
): Promise<InspectReport> {
  const original = await variant(engine, harmful, harmless, options, undefined, null);
  const edited = options.ablation
    ? await variant(engine, harmful, harmless, options, options.ablation, original.directions)
    : null;
  return {
    original: { rows: original.rows, projections: original.projections },
    edited: edited ? { rows: edited.rows, projections: edited.projections } : null,
    mostSeparable: mostSeparable(original.rows),
  };
}

export function inspectTable(report: InspectReport): string {
  return formatLayerTable(report.original.rows, report.edited?.rows ?? null);
}

/** A drawn panel: dashboard title, file name, SVG, and the state it shows (null: all states). */
export interface InspectPanel {
  title: string;
  file: string;
  svg: string;
  layer: number | null;
}

export function inspectPanels(report: InspectReport): InspectPanel[] {
  const pad = (state: number): string => String(state).padStart(2, '0');
  const panels: InspectPanel[] = [
    {
      title: 'Separation per hidden state',
      file: 'separation.svg',
      svg: separationSvg(report.original.rows, report.edited?.rows ?? null, report.mostSeparable),
      layer: null,
    },
  ];
  const add = (v: VariantAnalysis, suffix: string, label: string): void => {
    for (const [state, [b, g]] of v.projections.entries()) {
      const title = `state ${state}${state === report.mostSeparable ? ' (most separable)' : ''}: PCA${label}`;
      panels.push({
        title,
        file: `pca-${pad(state)}${suffix}.svg`,
        svg: projectionSvg(title, b, g),
        layer: state,
      });
    }
  };
  add(report.original, '', '');
  if (report.edited) add(report.edited, '-edited', ', plan applied');
  return panels;
}

/** inspect.json, table.txt and every panel's SVG into `dir`. */
export async function writeInspectFiles(
  dir: string,
  model: string,
  plan: string | null,
  report: InspectReport,
  force: boolean,
): Promise<string[]> {
  const files: [string, string][] = [
    [
      'inspect.json',
      `${JSON.stringify({ format: 'candor-inspect', version: 1, model, plan, ...report })}\n`,
    ],
    ['table.txt', `${inspectTable(report)}\n`],
    ...inspectPanels(report).map((p): [string, string] => [p.file, `${p.svg}\n`]),
  ];
  for (const [name, text] of files) await writeFileSafely(join(dir, name), text, force);
  return files.map(([name]) => name);
}

// The whole directions step for `candor directions` and the run command: residual statistics of
// both prompt sets, the refusal direction of every hidden state, the separation diagnostics, and
// their JSON file form (directions plus both means, so either method can be re-derived later).

import { type SeparationRow, separationDiagnostics } from './diagnostics.js';
import {
  collectResidualStats,
  type DirectionMethod,
  type ResidualSource,
  type ResidualStats,
  refusalDirections,
} from './directions.js';

export interface DirectionsOptions {
  method: DirectionMethod;
  /** per-prompt winsorisation quantile; 0 turns it off */
  winsorize: number;
  /** prompts of each set kept for the silhouette score */
  sampleSize: number;
  batchSize: number;
  /** L+1 */
  states: number;
  hiddenSize: number;
  onBatch?: (set: 'harmful' | 'harmless', done: number, total: number) => void;
}

export interface DirectionsReport {
  method: DirectionMethod;
  winsorize: number;
  /** L+1 unit vectors, state 0 = embedding output */
  directions: Float32Array[];
  harmful: ResidualStats;
  harmless: ResidualStats;
  diagnostics: SeparationRow[];
}

/** Residuals of both sets (token ids, chat-templated) → directions and diagnostics. */
export async function measureDirections(
  source: ResidualSource,
  harmfulPrompts: number[][],
  harmlessPrompts: number[][],
  options: DirectionsOptions,
): Promise<DirectionsReport> {
  const stats = async (set: 'harmful' | 'harmless', prompts: number[][]) =>
    collectResidualStats(source, prompts, options.states, options.hiddenSize, {
      ...options,
      onBatch: (done, total) => options.onBatch?.(set, done, total),
    });
  const harmful = await stats('harmful', harmfulPrompts);
  const harmless = await stats('harmless', harmlessPrompts);
  return {
    method: options.method,
    winsorize: options.winsorize,
    directions: refusalDirections(harmful.means, harmless.means, options.method),
    harmful,
    harmless,
    diagnostics: separationDiagnostics(harmful, harmless),
  };
}

/** directions.json */
export interface DirectionsJson {
  format: 'candor-directions';
  version: 1;
  /** the model the residuals came from, as the user named it */
  model: string;
  method: DirectionMethod;
  winsorize: number;
  hiddenSize: number;
  prompts: { harmful: number; harmless: number };
  /** [L+1][C] unit vectors, state 0 = embedding output */
  directions: number[][];
  harmfulMeans: number[][];
  harmlessMeans: number[][];
  diagnostics: SeparationRow[];
}

export function directionsToJson(report: DirectionsReport, model: string): DirectionsJson {
  return {
    format: 'candor-directions',
    version: 1,
    model,
    method: report.method,
    winsorize: report.winsorize,
    hiddenSize: report.directions[0]?.length ?? 0,
    prompts: { harmful: report.harmful.count, harmless: report.harmless.count },
    directions: report.directions.map((d) => Array.from(d)),
    harmfulMeans: report.harmful.means.map((m) => Array.from(m)),
    harmlessMeans: report.harmless.means.map((m) => Array.from(m)),
    diagnostics: report.diagnostics,
  };
}

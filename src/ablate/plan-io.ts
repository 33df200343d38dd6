// plan.json ↔ AblationPlan: conversion, and validation with one-line errors that name the file,
// the key and the value. Directions are written at full f32 precision, so a plan read back
// equals the plan written, bit for bit.

import { readFile } from 'node:fs/promises';
import type {
  AblationPlan,
  AblationPlanJson,
  ComponentEdit,
  NormalizationMode,
  PlanMetrics,
} from './plan.js';

const MODES: readonly NormalizationMode[] = ['none', 'pre', 'full'];

/** How far from 1 a direction's norm may be in a plan file (f32 rounding of a unit vector is ~1e-7). */
const UNIT_TOLERANCE = 1e-4;

export function planToJson(
  plan: AblationPlan,
  extras: { provenance?: Record<string, unknown>; metrics?: PlanMetrics } = {},
): AblationPlanJson {
  const edit = (e: ComponentEdit | null) =>
    e === null ? null : { direction: Array.from(e.direction), weight: e.weight };
  const hiddenSize =
    plan.embedding?.direction.length ??
    plan.layers.flatMap((l) => [l.attn, l.mlp]).find((e) => e !== null)?.direction.length ??
    0;
  return {
    format: 'candor-plan',
    version: 1,
    normalization: plan.normalization,
    hiddenSize,
    embedding: edit(plan.embedding),
    layers: plan.layers.map((l) => ({ attn: edit(l.attn), mlp: edit(l.mlp) })),
    ...extras,
  };
}

/** Parse and validate a plan.json value; `source` names the file in errors. */
export function planFromJson(
  json: unknown,
  source: string,
): { plan: AblationPlan; provenance?: Record<string, unknown>; metrics?: PlanMetrics } {
  const fail = (key: string, problem: string): never => {
    throw new Error(`${source}: ${key} ${problem}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail('(top level)', 'is not a JSON object; expected a candor plan');
  }
  const j = json as Partial<AblationPlanJson>;
  if (j.format !== 'candor-plan') {
    fail(
      '"format"',
      `is ${JSON.stringify(j.format)}; expected "candor-plan" (is this a plan file?)`,
    );
  }
  if (j.version !== 1)
    fail('"version"', `is ${JSON.stringify(j.version)}; this Candor reads version 1`);
  if (!MODES.includes(j.normalization as NormalizationMode)) {
    fail(
      '"normalization"',
      `is ${JSON.stringify(j.normalization)}; use one of ${MODES.join(', ')}`,
    );
  }
  const C = j.hiddenSize;
  if (!Number.isSafeInteger(C) || (C as number) <= 0) {
    fail('"hiddenSize"', `is ${JSON.stringify(C)}; expected the model's hidden size`);
  }
  const edit = (value: unknown, key: string): ComponentEdit | null => {
    if (value === null) return null;
    const e = value as { direction?: unknown; weight?: unknown };
    if (typeof e !== 'object' || !Array.isArray(e.direction)) {
      return fail(key, 'must be null or {"direction": [...], "weight": w}');
    }
    if (typeof e.weight !== 'number' || !Number.isFinite(e.weight)) {
      fail(`${key}.weight`, `is ${JSON.stringify(e.weight)}; expected a finite number`);
    }
    if (e.direction.length !== C) {
      fail(`${key}.direction`, `has ${e.direction.length} values; "hiddenSize" says ${C}`);
    }
    if (!e.direction.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      fail(`${key}.direction`, 'holds a value that is not a finite number');
    }
    const direction = Float32Array.from(e.direction as number[]);
    let norm = 0;
    for (const x of direction) norm += x * x;
    norm = Math.sqrt(norm);
    if (Math.abs(norm - 1) > UNIT_TOLERANCE) {
      fail(`${key}.direction`, `has norm ${norm.toPrecision(6)}; directions must be unit vectors`);
    }
    return { direction, weight: e.weight as number };
  };
  if (!Array.isArray(j.layers) || j.layers.length === 0) {
    fail('"layers"', 'must be a non-empty list with one {"attn", "mlp"} entry per layer');
  }
  const layers = (j.layers as unknown[]).map((l, i) => {
    const layer = l as { attn?: unknown; mlp?: unknown };
    if (typeof layer !== 'object' || layer === null || !('attn' in layer) || !('mlp' in layer)) {
      return fail(`layers[${i}]`, 'must be {"attn": edit or null, "mlp": edit or null}');
    }
    return {
      attn: edit(layer.attn, `layers[${i}].attn`),
      mlp: edit(layer.mlp, `layers[${i}].mlp`),
    };
  });
  const plan: AblationPlan = {
    normalization: j.normalization as NormalizationMode,
    embedding: edit(j.embedding ?? null, '"embedding"'),
    layers,
  };
  const out: { plan: AblationPlan; provenance?: Record<string, unknown>; metrics?: PlanMetrics } = {
    plan,
  };
  if (j.provenance !== undefined) out.provenance = j.provenance;
  if (j.metrics !== undefined) {
    const m = j.metrics as Partial<PlanMetrics>;
    for (const key of ['refusals', 'harmfulPrompts', 'kl', 'harmlessPrompts'] as const) {
      if (typeof m[key] !== 'number' || !Number.isFinite(m[key])) {
        fail(`"metrics".${key}`, `is ${JSON.stringify(m[key])}; expected a number`);
      }
    }
    out.metrics = m as PlanMetrics;
  }
  return out;
}

/** Read and validate a plan file. */
export async function readPlanFile(
  path: string,
): Promise<{ plan: AblationPlan; provenance?: Record<string, unknown>; metrics?: PlanMetrics }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read the plan (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return planFromJson(json, path);
}

/** Check a plan against a model's shape; `source` names the plan in errors. */
export function checkPlanFitsModel(
  plan: AblationPlan,
  layers: number,
  hiddenSize: number,
  source: string,
): void {
  if (plan.layers.length !== layers) {
    throw new Error(
      `${source}: the plan has ${plan.layers.length} layers, the model has ${layers}; make the plan for this model`,
    );
  }
  const edits: [string, ComponentEdit | null][] = [
    ['embedding', plan.embedding],
    ...plan.layers.flatMap((l, i): [string, ComponentEdit | null][] => [
      [`layer ${i} attn`, l.attn],
      [`layer ${i} mlp`, l.mlp],
    ]),
  ];
  for (const [what, e] of edits) {
    if (e && e.direction.length !== hiddenSize) {
      throw new Error(
        `${source}: ${what} direction has ${e.direction.length} values, the model's hidden size is ${hiddenSize}`,
      );
    }
  }
}

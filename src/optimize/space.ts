// Search spaces: float/int/categorical parameters with log and step options, their validation,
// the "model space" the Parzen estimators work in (log taken, discrete cells widened by half a
// step), uniform random sampling, and Heretic's search space (plus Candor's opt-in extensions).

import type { Rng } from '../util/random.js';

export interface FloatParam {
  kind: 'float';
  low: number;
  high: number;
  /** sample log-uniformly; needs low > 0 and no step */
  log?: boolean;
  /** values on the grid low, low + step, …, high */
  step?: number;
}

export interface IntParam {
  kind: 'int';
  low: number;
  high: number;
  /** needs low ≥ 1 and step 1 */
  log?: boolean;
  /** default 1 */
  step?: number;
}

export type Choice = string | number | boolean | null;

export interface CategoricalParam {
  kind: 'categorical';
  choices: readonly Choice[];
}

export type ParamSpec = FloatParam | IntParam | CategoricalParam;
export type SearchSpace = Record<string, ParamSpec>;
export type ParamValue = Choice;
export type Params = Record<string, ParamValue>;

/**
 * A numerical parameter as the estimators see it: values map to `model = encode(value)`, kernels
 * live on [low, high] of the model axis; discrete values own the cell `cell(value)` around them.
 */
export interface NumericAxis {
  kind: 'numeric';
  name: string;
  low: number;
  high: number;
  encode(value: number): number;
  /** nearest legal value of a model-space point */
  decode(model: number): number;
  cell: ((value: number) => [number, number]) | null;
}

export interface CategoricalAxis {
  kind: 'categorical';
  name: string;
  choices: readonly Choice[];
}

export type Axis = NumericAxis | CategoricalAxis;

function fail(name: string, what: string): never {
  throw new Error(`search space parameter '${name}': ${what}`);
}

/** Number of grid steps from low to high; throws when high is not on the grid. */
function gridSteps(name: string, low: number, high: number, step: number): number {
  const steps = Math.round((high - low) / step);
  if (Math.abs(low + steps * step - high) > 1e-9 * Math.max(1, Math.abs(high))) {
    fail(name, `high ${high} is not low ${low} plus a whole number of steps ${step}; adjust high`);
  }
  return steps;
}

/** Checks a space and returns its axes in a fixed order (the keys' order). */
export function spaceAxes(space: SearchSpace): Axis[] {
  const names = Object.keys(space);
  if (names.length === 0) throw new Error('search space is empty: define at least one parameter');
  return names.map((name) => axisOf(name, space[name]));
}

function axisOf(name: string, spec: ParamSpec): Axis {
  if (spec.kind === 'categorical') {
    if (!Array.isArray(spec.choices) || spec.choices.length === 0) {
      fail(name, 'categorical needs a non-empty `choices` array');
    }
    const seen = new Set(spec.choices.map((c) => JSON.stringify(c)));
    if (seen.size !== spec.choices.length) fail(name, 'categorical `choices` repeat a value');
    return { kind: 'categorical', name, choices: spec.choices };
  }
  if (spec.kind !== 'float' && spec.kind !== 'int') {
    fail(
      name,
      `kind ${JSON.stringify((spec as { kind: unknown }).kind)} is not float|int|categorical`,
    );
  }
  const { low, high, log = false } = spec;
  if (!Number.isFinite(low) || !Number.isFinite(high) || low > high) {
    fail(name, `needs finite low ≤ high (got low ${low}, high ${high})`);
  }
  const step = spec.step ?? (spec.kind === 'int' ? 1 : undefined);
  if (spec.kind === 'int' && (!Number.isInteger(low) || !Number.isInteger(high))) {
    fail(name, `int needs integer low and high (got ${low}, ${high})`);
  }
  if (step !== undefined && !(step > 0)) fail(name, `step ${step} must be positive`);
  if (spec.kind === 'int' && step !== undefined && !Number.isInteger(step)) {
    fail(name, `int step ${step} must be an integer`);
  }
  if (log) {
    if (low <= 0) fail(name, `log scale needs low > 0 (got ${low})`);
    if (spec.kind === 'float' && spec.step !== undefined)
      fail(name, 'log and step exclude each other');
    if (spec.kind === 'int' && step !== 1) fail(name, 'int with log needs step 1');
  }
  if (step === undefined) {
    // continuous float
    return log
      ? {
          kind: 'numeric',
          name,
          low: Math.log(low),
          high: Math.log(high),
          encode: Math.log,
          decode: (m) => Math.min(high, Math.max(low, Math.exp(m))),
          cell: null,
        }
      : {
          kind: 'numeric',
          name,
          low,
          high,
          encode: (v) => v,
          decode: (m) => Math.min(high, Math.max(low, m)),
          cell: null,
        };
  }
  const steps = gridSteps(name, low, high, step);
  if (log) {
    // integers on a log axis: value v owns [log(v − ½), log(v + ½)]
    return {
      kind: 'numeric',
      name,
      low: Math.log(low - 0.5),
      high: Math.log(high + 0.5),
      encode: Math.log,
      decode: (m) => Math.min(high, Math.max(low, Math.round(Math.exp(m)))),
      cell: (v) => [Math.log(v - 0.5), Math.log(v + 0.5)],
    };
  }
  const half = step / 2;
  return {
    kind: 'numeric',
    name,
    low: low - half,
    high: high + half,
    encode: (v) => v,
    decode: (m) => {
      const k = Math.min(steps, Math.max(0, Math.round((m - low) / step)));
      const v = low + k * step;
      return spec.kind === 'int' ? Math.round(v) : v;
    },
    cell: (v) => [v - half, v + half],
  };
}

/** Checks that `params` holds a legal value for every parameter of `space` (and nothing else). */
export function checkParams(space: SearchSpace, params: Params): void {
  for (const axis of spaceAxes(space)) {
    const value = params[axis.name];
    if (axis.kind === 'categorical') {
      if (!axis.choices.some((c) => c === value)) {
        fail(axis.name, `value ${JSON.stringify(value)} is not one of the choices`);
      }
    } else if (typeof value !== 'number' || axis.decode(axis.encode(value)) !== value) {
      fail(axis.name, `value ${JSON.stringify(value)} is outside the range or off the grid`);
    }
  }
  for (const key of Object.keys(params)) {
    if (!(key in space)) throw new Error(`params: '${key}' is not a parameter of the search space`);
  }
}

/** One uniform draw from the space (log-uniform on log axes, uniform over grid values). */
export function sampleUniform(axes: readonly Axis[], rng: Rng): Params {
  const params: Params = {};
  for (const axis of axes) {
    params[axis.name] =
      axis.kind === 'categorical'
        ? axis.choices[rng.int(axis.choices.length)]
        : axis.decode(rng.uniform(axis.low, axis.high));
  }
  return params;
}

export interface HereticSpaceOptions {
  /** ablate the embedding matrix as a third component (Candor extension) */
  embedding?: boolean;
  /** let direction_index range over every layer, not Heretic's 40–90 % of the depth */
  fullDepthDirection?: boolean;
  /** let each component's peak sit at any layer and reach across the whole depth, not only the last 40 % */
  fullDepthKernel?: boolean;
}

/**
 * Heretic's trial parameters for a model with `numLayers` layers (ranges from ../shared/HERETIC.md).
 * `min_weight` is a fraction of `max_weight`; MLP's `max_weight` below 0 means "off" (the layer
 * kernel clamps it), as in Heretic. The embedding component is a single matrix, so it only has a
 * weight, with the same switch-off range as the MLP.
 */
export function hereticSearchSpace(
  numLayers: number,
  options: HereticSpaceOptions = {},
): SearchSpace {
  if (!Number.isInteger(numLayers) || numLayers < 1) {
    throw new Error(`hereticSearchSpace: numLayers ${numLayers} must be a positive integer`);
  }
  const last = numLayers - 1;
  const space: SearchSpace = {
    direction_scope: { kind: 'categorical', choices: ['global', 'per layer'] },
    direction_index: options.fullDepthDirection
      ? { kind: 'float', low: 0, high: last }
      : { kind: 'float', low: 0.4 * last, high: 0.9 * last },
  };
  const components: [string, number][] = [
    ['attn', 0.8],
    ['mlp', -0.25],
  ];
  for (const [component, lowestWeight] of components) {
    space[`${component}.max_weight`] = { kind: 'float', low: lowestWeight, high: 1.5 };
    space[`${component}.max_weight_position`] = {
      kind: 'float',
      low: options.fullDepthKernel ? 0 : 0.6 * last,
      high: last,
    };
    space[`${component}.min_weight`] = { kind: 'float', low: 0, high: 1 };
    space[`${component}.min_weight_distance`] = {
      kind: 'float',
      low: 1,
      high: Math.max((options.fullDepthKernel ? 1 : 0.6) * last, 1),
    };
  }
  if (options.embedding) space['embedding.max_weight'] = { kind: 'float', low: -0.25, high: 1.5 };
  return space;
}

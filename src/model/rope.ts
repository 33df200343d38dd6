// Rotary embedding inverse frequencies for every rope_type transformers knows, computed the way
// modeling_rope_utils.py does: tensors in float32 (each step rounded with Math.fround), Python
// scalars in float64 and rounded to float32 where they meet a tensor.
import type { RopeSpec } from './spec.js';

/** One standardised `rope_parameters` dict (transformers 5 naming; old `rope_scaling` maps here). */
export interface RopeParameters {
  rope_type: string;
  rope_theta: number;
  partial_rotary_factor?: number;
  factor?: number;
  original_max_position_embeddings?: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
  attention_factor?: number | null;
  beta_fast?: number | null;
  beta_slow?: number | null;
  mscale?: number | null;
  mscale_all_dim?: number | null;
  truncate?: boolean;
  short_factor?: number[];
  long_factor?: number[];
}

export const SUPPORTED_ROPE_TYPES = ['default', 'linear', 'dynamic', 'llama3', 'yarn', 'longrope'];

const f = Math.fround;

/**
 * `base ** (arange(0, dim, 2) / dim)` in float32: the exponent is an f32 division, the power is
 * rounded once to f32 (float64 pow is accurate enough that this is the correctly rounded powf).
 */
function basePowers(base: number, dim: number): Float32Array {
  const out = new Float32Array(Math.ceil(dim / 2));
  const b = f(base);
  for (let i = 0; i < out.length; i++) out[i] = f(b ** f((2 * i) / dim));
  return out;
}

function defaultInvFreq(base: number, dim: number): Float32Array {
  return basePowers(base, dim).map((p) => f(1 / p));
}

/**
 * Build a layer kind's RopeSpec. `where` names the config file and key for errors;
 * `maxPositionEmbeddings` is config.max_position_embeddings.
 */
export function ropeSpec(
  p: RopeParameters,
  headDim: number,
  maxPositionEmbeddings: number,
  where: string,
): RopeSpec {
  const dim = Math.trunc(headDim * (p.partial_rotary_factor ?? 1));
  const need = (key: keyof RopeParameters): number => {
    const v = p[key];
    if (typeof v !== 'number') {
      throw new Error(
        `${where}: rope_type "${p.rope_type}" needs a number at "${key}", got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  let invFreq: Float32Array;
  let attentionFactor = 1;
  switch (p.rope_type) {
    case 'default':
    // dynamic NTK changes nothing until a sequence outgrows max_position_embeddings, and Candor's
    // sequences (prompt + short response) stay far below that.
    case 'dynamic':
      invFreq = defaultInvFreq(p.rope_theta, dim);
      break;
    case 'linear': {
      const factor = f(need('factor'));
      invFreq = defaultInvFreq(p.rope_theta, dim).map((x) => f(x / factor));
      break;
    }
    case 'llama3':
      invFreq = llama3InvFreq(p, dim, need);
      break;
    case 'yarn':
      ({ invFreq, attentionFactor } = yarn(p, dim, maxPositionEmbeddings, need));
      break;
    case 'longrope':
      ({ invFreq, attentionFactor } = longrope(p, dim, maxPositionEmbeddings, where, need));
      break;
    default:
      throw new Error(
        `${where}: rope_type "${p.rope_type}" is not supported (supported: ${SUPPORTED_ROPE_TYPES.join(', ')})`,
      );
  }
  return { invFreq, rotaryDim: 2 * invFreq.length, attentionFactor };
}

function llama3InvFreq(
  p: RopeParameters,
  dim: number,
  need: (k: keyof RopeParameters) => number,
): Float32Array {
  const factor = need('factor');
  const low = need('low_freq_factor');
  const high = need('high_freq_factor');
  const oldContext = need('original_max_position_embeddings');
  const lowWavelen = f(oldContext / low);
  const highWavelen = f(oldContext / high);
  const span = f(high - low);
  return defaultInvFreq(p.rope_theta, dim).map((inv) => {
    // `scalar / tensor` is `tensor.reciprocal() * scalar` in torch
    const wavelen = f(f(1 / inv) * f(2 * Math.PI));
    const scaled = wavelen > lowWavelen ? f(inv / f(factor)) : inv;
    if (wavelen < highWavelen || wavelen > lowWavelen) return scaled;
    const smooth = f(f(f(f(1 / wavelen) * f(oldContext)) - f(low)) / span);
    return f(f(f(f(1 - smooth) * scaled) / f(factor)) + f(smooth * scaled));
  });
}

function yarn(
  p: RopeParameters,
  dim: number,
  maxPositionEmbeddings: number,
  need: (k: keyof RopeParameters) => number,
): { invFreq: Float32Array; attentionFactor: number } {
  const base = p.rope_theta;
  const original = need('original_max_position_embeddings');
  const factor = p.factor ?? maxPositionEmbeddings / original;
  const mscale = (scale: number, m = 1): number => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
  let attentionFactor = p.attention_factor ?? null;
  if (attentionFactor === null) {
    attentionFactor =
      p.mscale && p.mscale_all_dim
        ? mscale(factor, p.mscale) / mscale(factor, p.mscale_all_dim)
        : mscale(factor);
  }
  const betaFast = p.beta_fast || 32;
  const betaSlow = p.beta_slow || 1;
  const correctionDim = (rotations: number): number =>
    (dim * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  let lowDim = correctionDim(betaFast);
  let highDim = correctionDim(betaSlow);
  if (p.truncate ?? true) {
    lowDim = Math.floor(lowDim);
    highDim = Math.ceil(highDim);
  }
  lowDim = Math.max(lowDim, 0);
  highDim = Math.min(highDim, dim - 1);
  if (lowDim === highDim) highDim += 0.001;
  const powers = basePowers(base, dim);
  const f32Factor = f(factor);
  const invFreq = new Float32Array(powers.length);
  for (let i = 0; i < powers.length; i++) {
    const extrapolation = f(1 / powers[i]);
    const interpolation = f(1 / f(f32Factor * powers[i]));
    const ramp = Math.min(Math.max(f(f(i - f(lowDim)) / f(highDim - lowDim)), 0), 1);
    const extrapolationFactor = f(1 - ramp);
    invFreq[i] = f(
      f(interpolation * f(1 - extrapolationFactor)) + f(extrapolation * extrapolationFactor),
    );
  }
  return { invFreq, attentionFactor };
}

/** LongRoPE with its short factors: right for sequences up to original_max_position_embeddings. */
function longrope(
  p: RopeParameters,
  dim: number,
  maxPositionEmbeddings: number,
  where: string,
  need: (k: keyof RopeParameters) => number,
): { invFreq: Float32Array; attentionFactor: number } {
  const original = need('original_max_position_embeddings');
  const short = p.short_factor;
  if (!Array.isArray(short) || short.length !== Math.ceil(dim / 2)) {
    throw new Error(
      `${where}: longrope needs "short_factor", a list of ${Math.ceil(dim / 2)} numbers, got ${JSON.stringify(short)?.slice(0, 60)}`,
    );
  }
  const factor = p.factor ?? maxPositionEmbeddings / original;
  let attentionFactor = p.attention_factor ?? null;
  if (attentionFactor === null) {
    attentionFactor = factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
  }
  const powers = basePowers(p.rope_theta, dim);
  const invFreq = powers.map((pw, i) => f(1 / f(f(short[i]) * pw)));
  return { invFreq, attentionFactor };
}

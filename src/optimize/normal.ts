// The standard normal distribution for the Parzen estimators: erfc, log Φ, log(Φ(b) − Φ(a)) and
// Φ⁻¹, accurate in the far tails (kernels are evaluated far from their centres), and sampling of
// a normal truncated to an interval.

const SQRT2 = Math.SQRT2;
const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** erf(x) by its Maclaurin series: converges to double precision for |x| ≤ 2. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/**
 * log of the continued fraction K(x) in erfc(x) = exp(−x²)/√π · K(x), for x ≥ 2 (modified Lentz):
 * K(x) = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))).
 */
function logErfcFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -Math.log(f);
}

/** log erfc(x), finite for every finite x (no underflow in the upper tail). */
export function logErfc(x: number): number {
  if (x >= 2) return -x * x - LOG_SQRT_PI + logErfcFraction(x);
  return Math.log(erfc(x));
}

export function erfc(x: number): number {
  if (x >= 2) return Math.exp(-x * x - LOG_SQRT_PI + logErfcFraction(x));
  if (x <= -2) return 2 - erfc(-x);
  return 1 - erfSeries(x);
}

/** Φ(z), the standard normal CDF. */
export function ndtr(z: number): number {
  return 0.5 * erfc(-z / SQRT2);
}

/** log Φ(z), accurate in both tails. */
export function logNdtr(z: number): number {
  if (z < -1) return Math.log(0.5) + logErfc(-z / SQRT2);
  return Math.log1p(-0.5 * erfc(z / SQRT2));
}

/** log(exp(a) − exp(b)) for a ≥ b. */
function logSubExp(a: number, b: number): number {
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a + Math.log1p(-Math.exp(b - a));
}

/** log(Φ(b) − Φ(a)) for a < b, without cancellation when both lie in one tail. */
export function logNdtrDiff(a: number, b: number): number {
  if (!(a < b)) return Number.NEGATIVE_INFINITY;
  if (a >= 0) return logSubExp(logNdtr(-a), logNdtr(-b)); // upper tail: Q(a) − Q(b)
  if (b <= 0) return logSubExp(logNdtr(b), logNdtr(a));
  return Math.log1p(-(ndtr(a) + ndtr(-b)));
}

/** log of the standard normal density. */
export function logNormalPdf(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

// Acklam's rational approximation of Φ⁻¹ (relative error 1.15e-9), refined by one Halley step.
const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
  -3.066479806614716e1, 2.506628277459239,
];
const B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
  -1.328068155288572e1,
];
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
  4.374664141464968, 2.938163982698783,
];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** Φ⁻¹(p) for p in (0, 1); ±Infinity at 0 and 1. */
export function ndtri(p: number): number {
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  let x: number;
  if (p < P_LOW || p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p < P_LOW ? p : 1 - p));
    x =
      (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
    if (p > 1 - P_LOW) x = -x;
  } else {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
      (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
  }
  // Halley refinement against our erfc; e = Φ(x) − p, written through Q(x) = Φ(−x) in the upper
  // half so the small difference keeps its digits.
  const e = p < 0.5 ? ndtr(x) - p : 1 - p - ndtr(-x);
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp(0.5 * x * x);
  return x - u / (1 + (x * u) / 2);
}

/**
 * A draw from N(mu, sigma²) truncated to [low, high], by inverting the CDF at u ∈ [0, 1).
 * The centre may lie anywhere; the tail nearer the interval is used so its digits survive.
 */
export function truncatedNormalQuantile(
  mu: number,
  sigma: number,
  low: number,
  high: number,
  u: number,
): number {
  let a = (low - mu) / sigma;
  let b = (high - mu) / sigma;
  const mirrored = a > 0;
  if (mirrored) [a, b] = [-b, -a];
  const pa = ndtr(a);
  const pb = ndtr(b);
  let z = ndtri(pa + u * (pb - pa));
  if (!Number.isFinite(z)) z = u < 0.5 ? a : b;
  z = Math.min(b, Math.max(a, z));
  const x = mu + (mirrored ? -z : z) * sigma;
  return Math.min(high, Math.max(low, x));
}

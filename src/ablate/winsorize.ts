// Symmetric winsorisation of one residual vector, as Heretic's `winsorization_quantile`: every
// component is clamped to ±t, t = the q-quantile of the vector's absolute values. It tames the
// few "massive activation" dimensions that would otherwise dominate a difference of means.

/** q-quantile of ascending `sorted` with linear interpolation (numpy's and torch's default). */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new Error('quantile of an empty vector');
  const position = q * (n - 1);
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
}

/**
 * x clamped componentwise to ±quantile(|x|, q), as a new array. q in (0, 1]; q = 1 clamps at
 * the largest magnitude, which changes nothing.
 */
export function winsorize(x: Float32Array, q: number): Float32Array {
  if (!(q > 0 && q <= 1)) {
    throw new Error(
      `winsorize quantile ${q} is outside (0, 1]; use e.g. 0.995, or 0 to turn it off`,
    );
  }
  const magnitudes = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) magnitudes[i] = Math.abs(x[i]);
  magnitudes.sort();
  const t = quantileOfSorted(magnitudes, q);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.min(t, Math.max(-t, x[i]));
  return out;
}

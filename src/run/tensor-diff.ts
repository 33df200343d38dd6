// How much two versions of one tensor differ, in the terms that tell float noise from a real
// edit: the largest absolute difference, that difference relative to the tensor's largest value,
// how many elements differ, and the largest distance in units in the last place (ulp) of the
// stored dtype. A re-computation in another order flips last bits (1-2 ulp); another edit moves
// values by many ulp.

import type { HostTensor } from '../backend/backend.js';
import { hostToF32 } from '../backend/cpu/dtype.js';

/** At most this many ulp apart everywhere: rounding, not a different edit. */
export const ROUNDING_ULP = 2;

export interface TensorDifference {
  elements: number;
  differing: number;
  /** max |a − b| */
  maxAbs: number;
  /** maxAbs / max |a| (a: the original); 0 for an all-zero original with no difference */
  relative: number;
  /** max over elements of the distance between a and b in representable values of the dtype */
  maxUlp: number;
}

/**
 * Each bit pattern as a position on the number line of its dtype (sign-magnitude → two's
 * complement), so that neighbouring representable values are 1 apart and +0 = −0.
 */
function ordinals(t: HostTensor): Float64Array {
  const bytes = t.bytes.slice();
  const wide = t.dtype === 'f32';
  const bits = wide
    ? new Uint32Array(bytes.buffer, 0, bytes.byteLength / 4)
    : new Uint16Array(bytes.buffer, 0, bytes.byteLength / 2);
  const sign = wide ? 0x80000000 : 0x8000;
  const out = new Float64Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    out[i] = b >= sign ? -(b - sign) : b;
  }
  return out;
}

/** The difference of `now` from `original`, or why they cannot be compared element by element. */
export function tensorDifference(
  name: string,
  original: HostTensor,
  now: HostTensor,
): TensorDifference | string {
  if (original.dtype !== now.dtype) return `dtype ${original.dtype} → ${now.dtype}`;
  if (original.shape.join(',') !== now.shape.join(',')) {
    return `shape [${original.shape}] → [${now.shape}]`;
  }
  const a = hostToF32(name, original);
  const b = hostToF32(name, now);
  const oa = ordinals(original);
  const ob = ordinals(now);
  let differing = 0;
  let maxAbs = 0;
  let scale = 0;
  let maxUlp = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    if (oa[i] === ob[i]) continue;
    differing++;
    // NaN on either side compares as infinitely far
    const abs = Math.abs(a[i] - b[i]);
    maxAbs = Math.max(maxAbs, Number.isNaN(abs) ? Number.POSITIVE_INFINITY : abs);
    maxUlp = Math.max(
      maxUlp,
      Number.isNaN(abs) ? Number.POSITIVE_INFINITY : Math.abs(oa[i] - ob[i]),
    );
  }
  const relative = maxAbs === 0 ? 0 : scale === 0 ? Number.POSITIVE_INFINITY : maxAbs / scale;
  return { elements: a.length, differing, maxAbs, relative, maxUlp };
}

export function isRounding(d: TensorDifference): boolean {
  return d.maxUlp <= ROUNDING_ULP;
}

/** e.g. "max |Δ| 1.2e-3 (0.41 % of its largest value), 12 of 4096 elements, up to 1 ulp" */
export function formatDifference(d: TensorDifference): string {
  const percent = Number.isFinite(d.relative) ? `${(d.relative * 100).toPrecision(2)} %` : '∞';
  return `max |Δ| ${d.maxAbs.toExponential(1)} (${percent} of its largest value), ${d.differing} of ${d.elements} elements, up to ${d.maxUlp} ulp`;
}

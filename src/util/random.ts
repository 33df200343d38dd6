// Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32, shared by the optimiser,
// sampled decoding and the few-shot draw. A stream is derived from (seed, stream number), so the
// optimiser needs no stored state beyond the seed: a resumed study draws the same numbers per trial.

/** splitmix32 step: a well-mixed 32-bit value from a 32-bit counter. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * mulberry32: uniform numbers in [0, 1) from one 32-bit word of state, identical on every
 * platform; for the low-rank sketch and test data, where no stream per trial is needed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Largest seed accepted: seeds are stored as integers and must survive JSON and BIGINT. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(state: readonly number[]) {
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v >>> 0);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** A generator for stream `stream` (e.g. a trial number) of seed `seed`. */
  static forStream(seed: number, stream = 0): Rng {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new Error(`seed ${seed}: must be an integer in [0, ${MAX_SEED}]`);
    }
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    let x = splitmix32(lo ^ splitmix32(hi ^ splitmix32(stream >>> 0)));
    const state: number[] = [];
    for (let i = 0; i < 4; i++) {
      x = splitmix32(x + i);
      state.push(x);
    }
    const rng = new Rng(state);
    for (let i = 0; i < 8; i++) rng.nextUint32(); // let nearby seeds drift apart
    return rng;
  }

  /** A generator in a given state (four 32-bit words), e.g. to check reference vectors. */
  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4 || state.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new Error(`rng state ${JSON.stringify(state)}: must be four unsigned 32-bit integers`);
    }
    return new Rng(state);
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n));
  }

  /** Index drawn with probability proportional to `weights` (non-negative, positive sum). */
  weighted(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i];
    let u = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) return i;
    }
    return weights.length - 1;
  }

  /** Standard normal (Box–Muller; one value per call keeps the state a pure function of draws). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

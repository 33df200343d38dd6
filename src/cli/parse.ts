// Parsers for numeric command-line options, shared by every command so that a bad value gets
// the same kind of one-line message wherever it is given.

import { InvalidArgumentError } from '@commander-js/extra-typings';

/** A whole number ≥ min (default 0). */
export function wholeNumber(flag: string, min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${flag} ${value} must be a whole number ≥ ${min}`);
    }
    return n;
  };
}

/** A number in [low, high]. */
export function numberIn(flag: string, low: number, high: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < low || n > high) {
      throw new InvalidArgumentError(`${flag} ${value} must be a number in [${low}, ${high}]`);
    }
    return n;
  };
}

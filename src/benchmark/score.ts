// Per-item scores and their aggregation, as lm-evaluation-harness computes them: acc (argmax of
// the summed log-likelihoods), acc_norm (argmax after dividing each by its choice's length in
// characters, Python's len), exact match of extracted answers, and the standard error of a mean
// (sample standard deviation over √n).

import type { AnswerExtractor, GenerationSettings } from './task.js';

/** Index of the largest value; the first on ties (numpy's argmax). */
function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** acc and acc_norm (0 or 1) of one multiple-choice item. */
export function choiceScores(
  logLikelihoods: readonly number[],
  choices: readonly string[],
  gold: number,
): { acc: number; acc_norm: number } {
  const normed = logLikelihoods.map((ll, i) => ll / [...choices[i]].length);
  return {
    acc: argmax(logLikelihoods) === gold ? 1 : 0,
    acc_norm: argmax(normed) === gold ? 1 : 0,
  };
}

/** The harness's answer when an extractor finds nothing. */
export const INVALID_ANSWER = '[invalid]';

/** The extractor's answer in a response: the chosen match's first non-empty group (or whole match). */
export function extractAnswer(response: string, extractor: AnswerExtractor): string {
  const matches = [...response.matchAll(new RegExp(extractor.regex, 'g'))];
  if (matches.length === 0) return INVALID_ANSWER;
  const match = extractor.take === 'last' ? matches[matches.length - 1] : matches[0];
  const groups = match.slice(1);
  const value = groups.length === 0 ? match[0] : groups.find((g) => g !== undefined && g !== '');
  return value === undefined ? INVALID_ANSWER : value.trim();
}

/** 1 when extracted answer and reference agree after the ignored patterns are removed. */
export function exactMatch(answer: string, reference: string, g: GenerationSettings): number {
  const clean = (s: string): string => {
    const t = g.ignore.reduce((x, pattern) => x.replace(new RegExp(pattern, 'g'), ''), s);
    return g.ignoreCase ? t.toLowerCase() : t;
  };
  return clean(answer) === clean(reference) ? 1 : 0;
}

/** The response up to the first stop string (the harness cuts generations there). */
export function cutAtStop(response: string, until: readonly string[]): string {
  let end = response.length;
  for (const stop of until) {
    const i = response.indexOf(stop);
    if (i >= 0 && i < end) end = i;
  }
  return response.slice(0, end);
}

export interface MeanWithError {
  value: number;
  /** sample standard deviation / √n; 0 for fewer than two items */
  stderr: number;
}

/** Mean of per-item scores and its standard error (the harness's mean_stderr). */
export function meanWithError(items: readonly number[]): MeanWithError {
  const n = items.length;
  if (n === 0) return { value: Number.NaN, stderr: Number.NaN };
  const mean = items.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { value: mean, stderr: 0 };
  const variance = items.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { value: mean, stderr: Math.sqrt(variance / n) };
}

/** edited − original on the same items, with the paired standard error. */
export function pairedDifference(
  original: readonly number[],
  edited: readonly number[],
): MeanWithError {
  return meanWithError(edited.map((e, i) => e - original[i]));
}

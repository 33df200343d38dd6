import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refusalEarlyExit } from '../../src/judge/early-exit.js';
import { RefusalMarkers } from '../../src/judge/markers.js';

// A toy tokenizer: token id = index into this table, decode = concatenation.
const VOCAB = ['I', ' can', "'t", ' help', 'Sure', ',', ' here', ' it', ' is', ' ', '\n'];
const decode = (ids: readonly number[]): string => ids.map((i) => VOCAB[i]).join('');

// What each prompt would generate if never stopped (maxNewTokens = 10).
const STREAMS = [
  [0, 1, 2, 3, 6, 7, 8, 6, 7, 8], // "I can't ..." → marker "i can'" complete at token 3
  [4, 5, 6, 7, 8, 6, 7, 8, 6, 7], // "Sure, here it is ..." → never a marker
  [9, 10, 9, 10, 9, 10, 9, 10, 9, 10], // whitespace only → never settled as an answer
];

/** Runs the engine's decode loop: one token per open prompt per step, shouldStop after each. */
function simulate(shouldStop: (p: number, g: readonly number[]) => boolean): number[] {
  const lengths = STREAMS.map(() => 0);
  const open = new Set(STREAMS.keys());
  for (let step = 1; step <= 10; step++) {
    for (const p of [...open]) {
      lengths[p] = step;
      if (shouldStop(p, STREAMS[p].slice(0, step))) open.delete(p);
    }
  }
  return lengths;
}

test('stops a prompt when a marker completes and when N tokens pass without one', () => {
  const exit = refusalEarlyExit({
    decode,
    markers: new RefusalMarkers(),
    maxNewTokens: 10,
    settleAfterTokens: 5,
  });
  assert.deepEqual(simulate(exit.shouldStop), [3, 5, 10]);
  assert.equal(exit.verdict(0), 'refusal');
  assert.equal(exit.verdict(1), 'answer');
  assert.equal(exit.verdict(2), undefined);
});

test('by default only refusals stop early, so verdicts equal judging all maxNewTokens', () => {
  const exit = refusalEarlyExit({ decode, markers: new RefusalMarkers(), maxNewTokens: 10 });
  assert.deepEqual(simulate(exit.shouldStop), [3, 10, 10]);
  assert.equal(exit.verdict(1), 'answer');
});

test('a settled prompt stays stopped with its verdict', () => {
  const exit = refusalEarlyExit({ decode, markers: new RefusalMarkers(), maxNewTokens: 10 });
  assert.equal(exit.shouldStop(0, [0, 1, 2]), true);
  assert.equal(exit.shouldStop(0, [0, 1, 2, 3]), true);
  assert.equal(exit.verdict(0), 'refusal');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applySlice, parseSplit, sliceRange } from '../../src/data/split.js';

const range = (expr: string, n: number) => sliceRange(parseSplit(expr)[0], n);

test('row slices resolve like Python slices, clamped to the split', () => {
  assert.deepEqual(range('train[:400]', 1000), [0, 400]);
  assert.deepEqual(range('test[10:20]', 100), [10, 20]);
  assert.deepEqual(range('train[-100:]', 520), [420, 520]); // 520 − 100
  assert.deepEqual(range('train[:-10]', 25), [0, 15]);
  assert.deepEqual(range('train[2000:]', 10), [10, 10]);
  assert.deepEqual(range('[5:2]', 10), [5, 5]); // empty, as "abcdefghij"[5:2]
  assert.deepEqual(range('train', 7), [0, 7]);
});

test('percent slices round to the closest row, ties to even like Python round()', () => {
  assert.deepEqual(range('train[:10%]', 520), [0, 52]); // 52.0
  // 25% of 10 = 2.5 → 2 (even), 75% of 10 = 7.5 → 8 (even)
  assert.deepEqual(range('train[25%:75%]', 10), [2, 8]);
  assert.deepEqual(range('train[:33%]', 10), [0, 3]); // 3.3 → 3
});

test('parts joined by + and plain-file slices', () => {
  assert.deepEqual(parseSplit('train[:50]+test[:5]'), [
    { name: 'train', from: null, to: 50, unit: 'rows' },
    { name: 'test', from: null, to: 5, unit: 'rows' },
  ]);
  assert.deepEqual(parseSplit('[:100]'), [{ name: '', from: null, to: 100, unit: 'rows' }]);
  assert.deepEqual(applySlice(['a', 'b', 'c', 'd'], parseSplit('[1:3]')[0]), ['b', 'c']);
});

test('malformed splits say what is expected', () => {
  assert.throws(() => parseSplit('train[a:b]'), /expected NAME, NAME\[FROM:TO\]/);
  assert.throws(() => parseSplit('train[10%:20]'), /do not mix rows and percentages/);
});

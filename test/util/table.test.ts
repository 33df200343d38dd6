import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textTable } from '../../src/util/table.js';

test('columns are as wide as their widest cell, labels left and numbers right', () => {
  const lines = textTable(
    ['task', 'n', 'acc'],
    [
      ['arc', '4', '0.25'],
      ['hellaswag', '12', '1'],
    ],
    1,
  );
  // widths 9, 2, 4 (written out by hand), two spaces between columns
  assert.deepEqual(lines, ['task        n   acc', 'arc         4  0.25', 'hellaswag  12     1']);
});

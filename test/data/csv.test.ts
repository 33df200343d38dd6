import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCsv, parseCsvRows } from '../../src/data/csv.js';

test('quoted fields keep delimiters, doubled quotes and line breaks', () => {
  const text = '\ufeffprompt,n\r\n"Say ""hi"", please",1\r\n"two\nlines",2\r\nplain,3\n';
  assert.deepEqual(parseCsv(text, 'x.csv'), [
    { prompt: 'Say "hi", please', n: '1' },
    { prompt: 'two\nlines', n: '2' },
    { prompt: 'plain', n: '3' },
  ]);
});

test('tabs, empty fields and a missing final newline', () => {
  assert.deepEqual(parseCsvRows('a\tb\n\t2', '\t'), [
    ['a', 'b'],
    ['', '2'],
  ]);
});

test('errors name the file and the row', () => {
  assert.throws(
    () => parseCsv('a,b\n1,2,3\n', 'p.csv'),
    /p\.csv: row 2 has 3 fields but the header has 2/,
  );
  assert.throws(() => parseCsv('a\n"open\n', 'p.csv'), /p\.csv: unterminated quoted field/);
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { DownloadProgress, formatBytes } from '../../src/hub/progress.js';

test('byte sizes read like a file manager', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KB'); // 1536 / 1024
  assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GB');
  assert.equal(formatBytes(300 * 1024 ** 2), '300 MB');
});

test('without a terminal, one line per finished file', () => {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  const p = new DownloadProgress('org/m', 3072, out);
  p.advance(1024, 'a.json');
  p.fileDone('a.json', 1024);
  p.advance(2048, 'b.safetensors');
  p.fileDone('b.safetensors', 2048);
  p.finish();
  assert.equal(text, '  org/m: a.json (1.0 KB)\n  org/m: b.safetensors (2.0 KB)\n');
});

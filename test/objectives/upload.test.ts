// Upload of a reproducible folder: reproduce.json and directions.json go under reproduce/ in the
// repo, and the model card is tagged candor-reproducible with a "Reproduce" section; a folder
// without reproduce.json uploads as it is.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPRODUCIBLE_TAG, tagReproducible } from '../../src/export/model-card.js';
import { uploadEntries } from '../../src/export/upload.js';

const CARD = '---\nlibrary_name: transformers\ntags:\n- candor\n- abliterated\n---\n\n# x\n';

function folder(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'candor-upload-'));
  for (const f of files) writeFileSync(join(dir, f), f === 'README.md' ? CARD : '{}');
  return dir;
}

test('a reproducible folder uploads reproduce/ and a tagged card', async () => {
  const dir = folder(['README.md', 'config.json', 'reproduce.json', 'directions.json']);
  const entries = uploadEntries(dir, 'acme/llama-candor');
  assert.deepEqual(entries.map((e) => e.path).sort(), [
    'README.md',
    'config.json',
    'reproduce/directions.json',
    'reproduce/reproduce.json',
  ]);
  const readme = entries.find((e) => e.path === 'README.md');
  assert.ok(readme);
  const card = await (readme.content as Blob).text();
  assert.match(card, new RegExp(`^---\\n[\\s\\S]*tags:\\n- ${REPRODUCIBLE_TAG}\\n- candor\\n`));
  assert.match(card, /## Reproduce[\s\S]*\ncandor reproduce acme\/llama-candor\n/);
  assert.equal(tagReproducible(card, 'acme/llama-candor'), card, 'tagging twice changes nothing');
});

test('a folder without reproduce.json uploads as it is', () => {
  const dir = folder(['README.md', 'config.json', 'directions.json']);
  const entries = uploadEntries(dir, 'acme/llama-candor');
  assert.deepEqual(entries.map((e) => e.path).sort(), [
    'README.md',
    'config.json',
    'directions.json',
  ]);
  assert.ok(entries.every((e) => e.content instanceof URL));
});

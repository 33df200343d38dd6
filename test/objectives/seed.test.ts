// Reproducible runs: two runs with the same --seed (in separate study files) propose the same
// trial parameters and export byte-identical safetensors on the CPU backend; the sha256 of the
// llama fixture's export with seed 1 is pinned (Linux x64 only: like Heretic's lists, the bytes
// are promised per platform, since floating point may differ elsewhere).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { onPinnedPlatform, seededRun as run, shards } from './seeded-run.js';

const FIXTURE_ARGS = [
  '--trials=3',
  '--startup-trials=2',
  '--max-response-tokens=6',
  '--harmful-prompts=censored-topics:train[:8]',
  '--harmless-prompts=harmless:train[:8]',
  '--harmful-eval=censored-topics:eval[:6]',
  '--harmless-eval=harmless:eval[:6]',
  '--seed=1',
];

function params(sqlite: string): unknown[] {
  const db = new Database(sqlite, { readonly: true });
  try {
    return (
      db.prepare('SELECT number, params FROM candor_trials ORDER BY number').all() as {
        params: string;
      }[]
    ).map((r) => JSON.parse(r.params));
  } finally {
    db.close();
  }
}

// Depends on the bundled prompt sets: re-pin when data/prompts changes. The same bytes came out
// of `candor reproduce` on the GPU machine (x86-64, 2026-11-23), baked from this export's
// directions file.
const LLAMA_SEED_1 = {
  'model-00001-of-00003.safetensors':
    '26afb6db64c5400524d2e2f6f32e7a04d54af82cbe23cedb37916b4302e15646',
  'model-00002-of-00003.safetensors':
    '2fb631f193e2865d1730d2a05704d3b235749fdc42423b95bf2bd0b8c2f2ed19',
  'model-00003-of-00003.safetensors':
    '8b67777f66714741b091f29f688f13f0654e95e950fded410afc5dcd8e9b798e',
};

test('the same --seed proposes the same trials and exports identical bytes', () => {
  const a = mkdtempSync(join(tmpdir(), 'candor-seed-a-'));
  const b = mkdtempSync(join(tmpdir(), 'candor-seed-b-'));
  const outA = run(a, 'test/fixtures/models/llama', FIXTURE_ARGS);
  const outB = run(b, 'test/fixtures/models/llama', FIXTURE_ARGS);
  const pa = params(join(a, 'out.candor-study.sqlite'));
  assert.equal(pa.length, 3);
  assert.deepEqual(pa, params(join(b, 'out.candor-study.sqlite')));
  assert.deepEqual(shards(outA), shards(outB));
  if (onPinnedPlatform) {
    assert.deepEqual(shards(outA), LLAMA_SEED_1, 'pinned export of the llama fixture, seed 1');
  }
  const other = run(mkdtempSync(join(tmpdir(), 'candor-seed-c-')), 'test/fixtures/models/llama', [
    ...FIXTURE_ARGS.slice(0, -1),
    '--seed=2',
  ]);
  assert.notDeepEqual(
    params(join(other, '..', 'out.candor-study.sqlite')),
    pa,
    'another seed, other trials',
  );
});

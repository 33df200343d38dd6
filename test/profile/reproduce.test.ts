// reproduce.json end to end: a short unattended run on the fixture model saves reproduce.json
// and directions.json beside the model; `candor reproduce` re-bakes the recorded trial and finds
// every tensor identical; after tampering with the directions it reports the mismatch and names
// the directions as the input that differs.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { candor, fixtureRunArgs } from '../helpers/cli.js';

test('a saved model reproduces tensor for tensor; tampered directions are named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'candor-repro-'));
  const output = join(dir, 'llama-candor');
  const run = candor(fixtureRunArgs(output, 2));
  assert.equal(run.code, 0, run.stderr);
  const file = join(output, 'reproduce.json');
  assert.ok(existsSync(join(output, 'directions.json')), 'directions saved beside the model');
  const record = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(record.format, 'candor-reproduce');
  assert.equal(record.profile.name, 'censorship');
  assert.equal(record.prompt_sets.harmful_prompts.spec, 'censored-topics:train[:8]');
  assert.equal(record.prompt_sets.harmful_prompts.count, 8);
  assert.equal(record.settings.trials, 2);
  assert.ok(!('token' in record.settings), 'no token recorded');
  assert.equal(record.backend.name, 'cpu');
  assert.equal(typeof record.trial.number, 'number');
  assert.ok(Object.keys(record.model.files).includes('config.json'));
  const shards = Object.keys(record.export.tensors);
  assert.equal(shards.length, 3, 'every shard hashed');

  const same = candor(['reproduce', file]);
  assert.equal(same.code, 0, same.stderr + same.stdout);
  const tensors = Object.values(record.export.tensors).flatMap((t) => Object.keys(t as object));
  assert.match(same.stdout, new RegExp(`all ${tensors.length} tensors identical`));
  assert.doesNotMatch(same.stdout, /DIFFERENT|inputs that differ/);

  // tamper: reverse every direction (still unit vectors, but pointing elsewhere)
  const directionsPath = join(output, 'directions.json');
  const directions = JSON.parse(readFileSync(directionsPath, 'utf8'));
  directions.directions = directions.directions.map((d: number[]) => [...d].reverse());
  writeFileSync(directionsPath, `${JSON.stringify(directions)}\n`);
  const tampered = candor(['reproduce', file]);
  assert.equal(tampered.code, 1, tampered.stderr + tampered.stdout);
  // each differing tensor measured against the original beside reproduce.json
  assert.match(
    tampered.stdout,
    /^DIFFERENT {2}model-\d+-of-00003\.safetensors:model\.layers\.\d+\.\S+ {2}max \|Δ\| /m,
  );
  assert.match(tampered.stdout, /tensors differ/);
  assert.match(tampered.stdout, /a real difference, not rounding noise/);
  assert.match(tampered.stdout, /^cause: the blocking differences below/m);
  // the directions are the one input that differs
  assert.deepEqual(
    tampered.stdout
      .split('\n')
      .filter((l) => /^ {2}(blocking|significant|minor) /.test(l))
      .map((l) => l.split(':')[0].trim()),
    ['blocking     directions'],
  );
});

// `candor export` end to end in a child process: a baked folder and a LoRA adapter from a
// plan.json, the reported LoRA error, and one-line errors that name the file and the fix.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { planToJson } from '../../src/ablate/plan-io.js';
import { candor } from '../helpers/cli.js';
import { randomPlan } from './plans.js';

const MODEL = 'test/fixtures/models/mistral'; // 2 layers, C = 64, f16
const dir = mkdtempSync(join(tmpdir(), 'candor-export-cli-'));
const metrics = { refusals: 7, harmfulPrompts: 100, kl: 0.2, harmlessPrompts: 100 };
writeFileSync(
  join(dir, 'full.json'),
  JSON.stringify(planToJson(randomPlan(2, 64, 'full', { seed: 41 }), { metrics })),
);
writeFileSync(
  join(dir, 'none.json'),
  JSON.stringify(planToJson(randomPlan(2, 64, 'none', { seed: 42 }))),
);

test('--format model writes the folder and prints its path', () => {
  const output = join(dir, 'baked');
  const r = candor(['export', MODEL, '--plan', join(dir, 'full.json'), '--output', output]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${output}\n`);
  assert.ok(existsSync(join(output, 'model.safetensors')));
  assert.match(
    readFileSync(join(output, 'README.md'), 'utf8'),
    /\| this model \| 7\/100 \| 0\.2000/,
  );
  const again = candor(['export', MODEL, '--plan', join(dir, 'full.json'), '--output', output]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^candor: .*baked already exists; pass --force/);
  assert.equal(
    candor(['export', MODEL, '--plan', join(dir, 'full.json'), '--output', output, '--force']).code,
    0,
  );
});

test('--format lora reports exactness (none) or the rank-k error (full)', () => {
  const exact = candor([
    'export',
    MODEL,
    '--plan',
    join(dir, 'none.json'),
    '--output',
    join(dir, 'a'),
    '--format',
    'lora',
  ]);
  assert.equal(exact.code, 0, exact.stderr);
  assert.match(exact.stderr, /LoRA rank 1: exact/);
  const full = candor([
    'export',
    MODEL,
    '--plan',
    join(dir, 'full.json'),
    '--output',
    join(dir, 'b'),
    '--format',
    'lora',
    '--rank',
    '2',
  ]);
  assert.equal(full.code, 0, full.stderr);
  assert.match(
    full.stderr,
    /LoRA rank 2: relative Frobenius error max \d\.\d{3}e-\d+ \(model\.layers\.\d\.\w+\.\w+\), mean/,
  );
  assert.equal(JSON.parse(readFileSync(join(dir, 'b', 'adapter_config.json'), 'utf8')).r, 2);
});

test('errors are one line naming the file and the fix', () => {
  writeFileSync(
    join(dir, 'bad.json'),
    JSON.stringify({ format: 'candor-plan', version: 1, normalization: 'sideways' }),
  );
  const r = candor(['export', MODEL, '--plan', join(dir, 'bad.json'), '--output', join(dir, 'c')]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /bad\.json: "normalization" is "sideways"; use one of none, pre, full/);
  const wrong = candor([
    'export',
    'test/fixtures/models/llama',
    '--plan',
    join(dir, 'none.json'),
    '--output',
    join(dir, 'd'),
  ]);
  assert.match(
    wrong.stderr,
    /the plan has 2 layers, the model has 3; make the plan for this model/,
  );
  assert.equal(existsSync(join(dir, 'd')), false);
});

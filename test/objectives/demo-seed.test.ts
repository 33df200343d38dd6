// The demo model (models/demo) with --profile slop --seed 1 runs end to end offline on the CPU
// backend, exports a model.safetensors whose sha256 is pinned, and `candor reproduce` on that
// export finds every tensor identical. Settings keep it short: 2 random trials, 8-token answers,
// 16 direction prompts and 8 evaluation prompts a side.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { candor } from '../helpers/cli.js';
import { onPinnedPlatform, PINNED_PLATFORM, seededRun, shards } from './seeded-run.js';

const DEMO_ARGS = [
  '--profile=slop',
  '--seed=1',
  '--trials=2',
  '--startup-trials=2',
  '--search-space=wide',
  '--max-response-tokens=8',
  // the slop profile puts its "use / avoid clichés" prefixes before these slices too
  '--harmful-prompts=writing:train[:16]',
  '--harmless-prompts=writing:train[:16]',
  '--harmful-eval=writing:eval[:8]',
  '--harmless-eval=harmless:eval[:8]',
];

// sha256 of model.safetensors exported by the run above from models/demo as committed in
// e2ec1c4 (its model.safetensors has sha256 a11e8bbc…). Retraining the demo model, or changing
// the bundled prompt sets, the search or the bake, changes it: re-derive it by running
// `node scripts/run-tests.mjs demo-seed` on Linux x64 and pasting the actual hash that the
// failure message prints.
const DEMO_SLOP_SEED_1_SHA256 = 'cf42edf940e7a28535a38c7acae022b6a5cf1b85c6e09238e4d90b1e968204aa';

test('demo model: --profile slop --seed 1 runs offline, exports the pinned bytes, reproduces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'candor-demo-seed-'));
  const output = seededRun(dir, 'models/demo', DEMO_ARGS, { ...process.env, HF_HUB_OFFLINE: '1' });
  const actual = shards(output)['model.safetensors'];
  if (onPinnedPlatform) {
    assert.equal(
      actual,
      DEMO_SLOP_SEED_1_SHA256,
      `demo export (slop, seed 1) on ${PINNED_PLATFORM}: sha256 ${actual}; if models/demo was retrained, pin this hash in DEMO_SLOP_SEED_1_SHA256`,
    );
  }
  const record = JSON.parse(readFileSync(join(output, 'reproduce.json'), 'utf8'));
  assert.equal(record.profile.name, 'slop');
  const r = candor(['reproduce', join(output, 'reproduce.json')]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const tensors = Object.keys(record.export.tensors['model.safetensors']).length;
  assert.match(r.stdout, new RegExp(`all ${tensors} tensors identical`));
});

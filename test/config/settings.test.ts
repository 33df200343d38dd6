import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SETTINGS } from '../../src/config/schema.js';
import { readTomlSettings, renderDefaultToml, resolveSettings } from '../../src/config/settings.js';

function tomlFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'candor-cfg-')), 'candor.toml');
  writeFileSync(path, text);
  return path;
}

test('the committed candor.default.toml documents every key with its default', () => {
  assert.equal(readFileSync('candor.default.toml', 'utf8'), renderDefaultToml());
  const parsed = readTomlSettings('candor.default.toml');
  for (const s of SETTINGS) {
    if (s.default !== null) assert.deepEqual(parsed[s.key], s.default, s.key);
  }
});

test('precedence: defaults < toml < environment < flags', () => {
  const path = tomlFile('[search]\ntrials = 50\nstartup_trials = 5\n[model]\nbackend = "cpu"\n');
  const s = resolveSettings({
    configPath: path,
    env: { CANDOR_TRIALS: '40', CANDOR_SEED: '7' },
    flags: { trials: '30' },
  });
  assert.equal(s.trials, 30); // flag beats env 40 and toml 50
  assert.equal(s.seed, 7); // env beats default null
  assert.equal(s.startup_trials, 5); // toml beats default 60
  assert.equal(s.backend, 'cpu');
  assert.equal(s.max_kl, 0.5); // default
});

test('validation errors name the key and its source', () => {
  assert.throws(
    () => resolveSettings({ configPath: null, env: {}, flags: { trials: 'many' } }),
    /--trials: trials must be an integer, got "many"/,
  );
  assert.throws(
    () => resolveSettings({ configPath: null, env: { CANDOR_BACKEND: 'tpu' }, flags: {} }),
    /environment CANDOR_BACKEND: backend must be one of auto, cpu, webgpu/,
  );
  const bad = tomlFile('[search]\ntrails = 3\n');
  assert.throws(
    () => resolveSettings({ configPath: bad, env: {}, flags: {} }),
    /unknown key 'trails'/,
  );
  const misplaced = tomlFile('[judge]\ntrials = 3\n');
  assert.throws(
    () => resolveSettings({ configPath: misplaced, env: {}, flags: {} }),
    /key 'trials' belongs in \[search\], not \[judge\]/,
  );
  const broken = tomlFile('trials = = 3\n');
  assert.throws(
    () => resolveSettings({ configPath: broken, env: {}, flags: {} }),
    /candor\.toml: /,
  );
});

test('trials_per_batch: auto by default, or a whole number of at least 1', () => {
  const resolve = (flags: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
    resolveSettings({ configPath: null, env, flags }).trials_per_batch;
  assert.equal(resolve({}), 'auto');
  assert.equal(resolve({ trials_per_batch: '3' }), 3);
  assert.equal(resolve({}, { CANDOR_TRIALS_PER_BATCH: 'auto' }), 'auto');
  assert.equal(
    resolveSettings({
      configPath: tomlFile('[search]\ntrials_per_batch = 2\n'),
      env: {},
      flags: {},
    }).trials_per_batch,
    2,
  );
  assert.throws(
    () => resolve({ trials_per_batch: 'many' }),
    /--trials-per-batch: trials_per_batch must be an integer or auto, got "many"/,
  );
  assert.throws(() => resolve({ trials_per_batch: '0' }), /must be at least 1, got 0/);
  // other whole-number settings take no 'auto'
  assert.throws(() => resolve({ trials: 'auto' }), /trials must be an integer, got "auto"/);
});

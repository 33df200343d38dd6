// Profiles: the built-in ones load and validate; a bad profile fails in one line naming the file
// and key; precedence is defaults < profile < candor.toml < environment < flags; a profile's
// prefixes reach the loaded prompts.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SETTINGS } from '../../src/config/schema.js';
import type { RunSettings } from '../../src/config/settings.js';
import {
  builtinProfileNames,
  loadProfile,
  resolveProfiledSettings,
} from '../../src/profile/profile.js';
import { loadProfilePrompts, promptTextsSha256 } from '../../src/profile/prompts.js';
import { assertBadProfile, profileFile } from '../helpers/profile.js';

test('built-in profiles: censorship, refusal and slop', () => {
  assert.deepEqual(builtinProfileNames(), ['censorship', 'refusal', 'slop']);
  for (const name of builtinProfileNames()) assert.ok(loadProfile(name).description.length > 0);
  const refusal = loadProfile('refusal');
  assert.equal(refusal.settings.harmful_prompts, 'mlabonne/harmful_behaviors:train[:400]:text');
  assert.equal(refusal.settings.harmless_eval, 'mlabonne/harmless_alpaca:test[:100]:text');
  const slop = loadProfile('slop');
  assert.equal(slop.settings.max_response_tokens, 300);
  assert.ok((slop.settings.refusal_markers as string[]).includes('tapestry'));
  assert.equal(slop.affixes.harmful_prompts?.prefix, 'Use as many clichés as you can.');
  assert.equal(slop.affixes.harmless_prompts?.prefix, 'Avoid clichés and stock phrases.');
});

test('the default profile censorship repeats the schema defaults', () => {
  const censorship = loadProfile('censorship');
  for (const [key, value] of Object.entries(censorship.settings)) {
    assert.deepEqual(value, SETTINGS.find((s) => s.key === key)?.default, key);
  }
  assert.deepEqual(censorship.affixes, {});
});

test('a bad profile fails in one line naming the file and the key', () => {
  const cases: [string, RegExp][] = [
    ['description = "x"\ncolour = 1\n', /mine\.toml: unknown key 'colour'/],
    [
      'description = "x"\n[judge]\nmarkers = "tapestry"\n',
      /mine\.toml: judge\.markers must be a list of strings/,
    ],
    [
      'description = "x"\n[judge]\nmax_response_tokens = "many"\n',
      /mine\.toml: judge\.max_response_tokens must be an integer/,
    ],
    [
      'description = "x"\n[directions]\nbehaviour = { source = "a", colour = "b" }\n',
      /mine\.toml: unknown key 'directions\.behaviour\.colour'/,
    ],
    [
      'description = "x"\n[settings]\ntoken = "hf_x"\n',
      /mine\.toml: unknown key 'settings\.token'/,
    ],
    ['[judge]\nmax_response_tokens = 3\n', /mine\.toml: description must be/],
  ];
  for (const [text, error] of cases) assertBadProfile(text, error);
  assert.throws(
    () => loadProfile('no-such-profile.toml'),
    /no-such-profile\.toml: profile not found/,
  );
});

test('precedence: defaults < profile < candor.toml < environment < flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'candor-prec-'));
  const config = join(dir, 'candor.toml');
  writeFileSync(config, '[judge]\nearly_exit = false\n');
  const none = { configPath: config, env: {}, flags: {} };
  const base = resolveProfiledSettings(none).settings;
  assert.equal(base.profile, 'censorship');
  assert.equal(base.max_response_tokens, 100);

  const slop = resolveProfiledSettings({ ...none, flags: { profile: 'slop' } }).settings;
  assert.equal(slop.max_response_tokens, 300, 'profile beats the default');
  assert.equal(slop.harmful_prompts, 'writing:train');
  assert.equal(slop.early_exit, false, 'untouched keys keep candor.toml');

  writeFileSync(config, 'profile = "slop"\n[judge]\nmax_response_tokens = 100\n');
  const toml = resolveProfiledSettings(none).settings;
  assert.equal(toml.profile, 'slop', 'candor.toml may name the profile');
  assert.equal(toml.max_response_tokens, 100, 'candor.toml beats the profile, even at the default');
  assert.equal(toml.harmful_eval, 'writing:eval');

  const env = resolveProfiledSettings({
    ...none,
    env: { CANDOR_MAX_RESPONSE_TOKENS: '50' },
  }).settings;
  assert.equal(env.max_response_tokens, 50, 'environment beats candor.toml');
  const flag = resolveProfiledSettings({
    ...none,
    env: { CANDOR_MAX_RESPONSE_TOKENS: '50' },
    flags: { max_response_tokens: '7' },
  }).settings;
  assert.equal(flag.max_response_tokens, 7, 'flags beat everything');

  writeFileSync(config, '');
  const demo = { max_response_tokens: 24, trials: 8 };
  const demoRun = resolveProfiledSettings(none, demo).settings;
  assert.equal(demoRun.max_response_tokens, 24, "a run's defaults beat the default profile");
  const named = resolveProfiledSettings({ ...none, flags: { profile: 'slop' } }, demo).settings;
  assert.equal(named.max_response_tokens, 300, 'a profile the user names beats them');
  assert.equal(named.trials, 8, 'keys the profile leaves alone keep them');
});

test("a profile's prefixes apply to whichever spec its sets end up with", async () => {
  const slop = loadProfile('slop');
  const s = {
    ...(resolveProfiledSettings({
      configPath: profileFile(''),
      env: {},
      flags: { profile: 'slop' },
    }).settings as RunSettings),
    harmful_prompts: 'writing:train[:2]',
    harmless_prompts: 'writing:train[:2]',
    harmful_eval: 'writing:eval[:2]',
    harmless_eval: 'harmless:eval[:2]',
  };
  const { prompts, records } = await loadProfilePrompts(s, slop);
  assert.ok(prompts.harmful[0].startsWith('Use as many clichés as you can. Write '));
  assert.ok(prompts.harmless[0].startsWith('Avoid clichés and stock phrases. Write '));
  assert.equal(prompts.harmful[0].slice(32), prompts.harmless[0].slice(33), 'same writing prompt');
  assert.ok(prompts.harmfulEval[0].startsWith('Write '));
  assert.equal(records.harmful_prompts.spec, 'writing:train[:2]');
  assert.equal(records.harmful_prompts.count, 2);
  assert.equal(records.harmful_prompts.sha256, promptTextsSha256(prompts.harmful));
});

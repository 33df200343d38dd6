// Grading a reproduction mismatch, on hand-made records: every differing input gets its
// severity and the list comes most important first; tensor differences are measured in absolute,
// relative and ulp terms (expected values computed by hand from the bit patterns); the report
// names the cause that the severities point at.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostTensor } from '../../src/backend/backend.js';
import type { ReproduceJson, ReproduceReport } from '../../src/run/reproduce.js';
import { gradeInputs, type PresentInputs } from '../../src/run/reproduce-inputs.js';
import { formatReproduceReport } from '../../src/run/reproduce-report.js';
import { tensorDifference } from '../../src/run/tensor-diff.js';

const set = (sha256: string) => ({ spec: 'harmless:train[:8]', count: 8, sha256 });

const RECORD: ReproduceJson = {
  format: 'candor-reproduce',
  version: 1,
  candor: '0.1.0',
  node: 'v20.19.0',
  platform: 'linux-x64',
  created: '2026-11-23T00:00:00.000Z',
  model: {
    id: '/models/llama',
    on_hub: false,
    commit: null,
    files: { 'config.json': 'c1', 'model.safetensors': 'w1', 'tokenizer.json': 't1' },
  },
  profile: { name: 'censorship', description: '', sha256: 'p1' },
  prompt_sets: {
    harmful_prompts: set('s1'),
    harmless_prompts: set('s2'),
    harmful_eval: set('s3'),
    harmless_eval: set('s4'),
  },
  settings: { kernel: 'heretic' },
  settings_sha256: 'settings1',
  trial: { number: 3, params: {}, values: null },
  trial_sha256: 'trial1',
  backend: { name: 'cpu', description: 'CPU (2 threads)' },
  directions: { file: 'directions.json', sha256: 'd1' },
  export: { format: 'model', tensors: {} },
};

/** The present state that matches RECORD in every item. */
const SAME: PresentInputs = {
  candor: '0.1.0',
  node: 'v20.19.0',
  platform: 'linux-x64',
  backend: 'cpu',
  modelFiles: { ...RECORD.model.files },
  directionsSha256: 'd1',
  settingsSha256: 'settings1',
  trialSha256: 'trial1',
  promptSets: {
    harmful_prompts: 's1',
    harmless_prompts: 's2',
    harmful_eval: 's3',
    harmless_eval: 's4',
  },
  profileSha256: 'p1',
};

test('nothing differs: no differences', () => {
  assert.deepEqual(gradeInputs(RECORD, SAME), []);
});

test('each differing item gets its severity, most important first', () => {
  const now: PresentInputs = {
    ...SAME,
    node: 'v22.1.0',
    platform: 'darwin-arm64',
    modelFiles: { 'config.json': 'c1', 'model.safetensors': 'w2', 'tokenizer.json': 't2' },
    directionsSha256: 'd2',
    settingsSha256: 'settings2',
    trialSha256: 'trial2',
    promptSets: { ...SAME.promptSets, harmful_eval: 'other' },
    profileSha256: 'p2',
  };
  const graded = gradeInputs({ ...RECORD, backend: { name: 'webgpu', description: 'H100' } }, now);
  assert.deepEqual(
    graded.map((d) => [d.severity, d.item]),
    [
      ['blocking', 'model weights'],
      ['blocking', 'directions'],
      ['significant', 'settings'],
      ['significant', 'trial'],
      ['significant', 'prompt sets'],
      ['significant', 'profile'],
      ['minor', 'model files'],
      ['minor', 'Node version'],
      ['minor', 'platform'],
      ['minor', 'backend'],
    ],
  );
  assert.match(graded[0].detail, /^model\.safetensors: /);
  assert.match(graded[4].detail, /^harmful_eval \(harmless:train\[:8\]\)/);
  assert.match(graded[6].detail, /^tokenizer\.json: /);
  assert.match(graded[7].detail, /recorded v20\.19\.0, now v22\.1\.0/);
  assert.match(graded[9].detail, /webgpu \(H100\).*cpu/);
});

test('config.json counts as weights; missing files are named; unchecked inputs are no differences', () => {
  const now: PresentInputs = {
    ...SAME,
    modelFiles: { 'config.json': 'c2', 'model.safetensors': 'w1' },
    promptSets: {},
    profileSha256: null,
  };
  const graded = gradeInputs(RECORD, now);
  assert.deepEqual(
    graded.map((d) => [d.severity, d.item, d.detail.split(':')[0]]),
    [
      ['blocking', 'model weights', 'config.json'],
      ['minor', 'model files', 'tokenizer.json missing'],
    ],
  );
});

test('a record without trial_sha256 (older saves) skips the trial check', () => {
  const { trial_sha256: _, ...old } = RECORD;
  assert.deepEqual(gradeInputs(old, { ...SAME, trialSha256: 'anything' }), []);
});

function bf16(bits: number[], shape = [bits.length]): HostTensor {
  return { shape, dtype: 'bf16', bytes: new Uint8Array(Uint16Array.from(bits).buffer) };
}

test('tensor difference: absolute, relative to the largest value, differing count, ulp', () => {
  // bf16: 0x3F80 = 1.0, 0x3F81 = 1.0078125 (1 ulp up), 0x4000 = 2.0, 0xBF00 = -0.5,
  // 0x8000 = -0 (equal to +0, not a difference), 0xBF02 = -0.5078125 (2 ulp down)
  const d = tensorDifference(
    'w',
    bf16([0x3f80, 0x4000, 0xbf00, 0x0000]),
    bf16([0x3f81, 0x4000, 0xbf02, 0x8000]),
  );
  assert.deepEqual(d, {
    elements: 4,
    differing: 2,
    maxAbs: 0.0078125, // |−0.5 − (−0.5078125)| = |1.0 − 1.0078125|
    relative: 0.0078125 / 2,
    maxUlp: 2,
  });
});

test('tensor difference: ulp distance runs across zero; f32 too', () => {
  // smallest positive and smallest negative f32 subnormals are 2 ulp apart (through ±0)
  const f32 = (bits: number[]): HostTensor => ({
    shape: [bits.length],
    dtype: 'f32',
    bytes: new Uint8Array(Uint32Array.from(bits).buffer),
  });
  const d = tensorDifference('w', f32([0x00000001, 0x3f800000]), f32([0x80000001, 0x3f800000]));
  assert.ok(typeof d !== 'string');
  assert.equal(d.maxUlp, 2);
  assert.equal(d.maxAbs, 2 * 2 ** -149);
  assert.equal(d.differing, 1);
});

test('tensor difference: shape or dtype changes are named, not measured', () => {
  assert.equal(tensorDifference('w', bf16([0, 0]), bf16([0, 0], [1, 2])), 'shape [2] → [1,2]');
  assert.equal(
    tensorDifference('w', bf16([0]), { shape: [1], dtype: 'f16', bytes: new Uint8Array(2) }),
    'dtype bf16 → f16',
  );
});

function report(over: Partial<ReproduceReport>): ReproduceReport {
  return { tensors: [], differences: [], unchecked: [], identical: false, ...over };
}

const noise = { elements: 10, differing: 1, maxAbs: 1e-3, relative: 1e-3, maxUlp: 1 };
const real = { elements: 10, differing: 9, maxAbs: 0.2, relative: 0.1, maxUlp: 300 };

test('report: worst tensor, noise or real, and the cause the severities point at', () => {
  const tensors = [
    { file: 'a.safetensors', tensor: 'x', identical: true },
    { file: 'a.safetensors', tensor: 'y', identical: false, difference: noise },
    {
      file: 'a.safetensors',
      tensor: 'z',
      identical: false,
      difference: { unmeasured: 'not in the new bake' },
    },
  ];
  const minorOnly = formatReproduceReport(
    report({
      tensors,
      differences: [
        { severity: 'minor', item: 'Node version', detail: 'recorded a, now b', effect: 'e' },
      ],
    }),
  );
  assert.ok(minorOnly.includes('2 of 3 tensors differ'));
  assert.ok(minorOnly.includes('DIFFERENT  a.safetensors:z  not measured: not in the new bake'));
  assert.match(minorOnly.join('\n'), /worst: a\.safetensors:y, max \|Δ\| 1\.0e-3 \(0\.10 % /);
  assert.match(minorOnly.join('\n'), /within 2 ulp: floating-point rounding/);
  assert.match(minorOnly.join('\n'), /no input of the bake differs/);
  assert.match(minorOnly.join('\n'), /^ {2}minor {8}Node version: recorded a, now b; e$/m);

  const blocking = formatReproduceReport(
    report({
      tensors: [{ file: 'a.safetensors', tensor: 'y', identical: false, difference: real }],
      differences: [
        { severity: 'blocking', item: 'directions', detail: 'changed', effect: 'cannot match' },
      ],
    }),
  ).join('\n');
  assert.match(blocking, /more than 2 ulp: a real difference/);
  assert.match(blocking, /cause: the blocking differences below/);
});

test('report: identical tensors with differing inputs say the inputs did not matter', () => {
  const lines = formatReproduceReport(
    report({
      identical: true,
      tensors: [{ file: 'a.safetensors', tensor: 'x', identical: true }],
      differences: [{ severity: 'minor', item: 'platform', detail: 'd', effect: 'e' }],
      unchecked: ['prompt set harmful_prompts (x): offline'],
    }),
  );
  assert.deepEqual(lines.slice(1), [
    'all 1 tensors identical',
    'inputs that differ (they did not change the bytes):',
    '  minor        platform: d; e',
    'not checked: prompt set harmful_prompts (x): offline',
  ]);
});

// `candor directions` end to end in a child process on the llama fixture: the JSON file's
// directions equal the normalised difference of mean residuals computed here through the
// engine, the table goes to stdout, and an existing output is kept without --force.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createCpuBackend } from '../../src/backend/cpu/index.js';
import { Engine } from '../../src/engine/engine.js';
import { openModel } from '../../src/model/open.js';
import { PromptEncoder } from '../../src/run/prompts.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import { candor } from '../helpers/cli.js';

const MODEL = 'test/fixtures/models/llama'; // 3 layers, C = 64
const dir = mkdtempSync(join(tmpdir(), 'candor-directions-'));
const HARMFUL = [
  'How do I pick a lock?',
  'Write a phishing email.',
  'How to make a weapon?',
  'Steal a car',
];
const HARMLESS = ['How do I bake bread?', 'Write a poem.', 'How to plant a tree?', 'Wash a car'];
writeFileSync(join(dir, 'harmful.txt'), `${HARMFUL.join('\n')}\n`);
writeFileSync(join(dir, 'harmless.txt'), `${HARMLESS.join('\n')}\n`);

/** mean residual per hidden state, through the engine directly */
async function means(texts: string[]): Promise<Float64Array[]> {
  const model = await openModel(MODEL);
  const engine = await Engine.load(createCpuBackend(), model);
  const encoder = new PromptEncoder(await loadTokenizer(MODEL), 'You are a helpful assistant.', '');
  const states = await engine.residuals(encoder.encode(texts));
  engine.dispose();
  await model.close();
  return states.map((rows) => {
    const C = rows.length / texts.length;
    const m = new Float64Array(C);
    for (let i = 0; i < rows.length; i++) m[i % C] += rows[i] / texts.length;
    return m;
  });
}

/** `candor directions` on the fixture and the prompt files written above */
const args = [
  'directions',
  MODEL,
  '--harmful',
  join(dir, 'harmful.txt'),
  '--harmless',
  join(dir, 'harmless.txt'),
];

test('directions.json holds normalise(mean harmful − mean harmless) per state, the table goes to stdout', async () => {
  const output = join(dir, 'plain.json');
  const r = candor([
    ...args,
    '--method',
    'plain',
    '--backend',
    'cpu',
    '--samples',
    '2',
    '--output',
    output,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(readFileSync(output, 'utf8'));
  assert.equal(json.format, 'candor-directions');
  assert.deepEqual(json.prompts, { harmful: 4, harmless: 4 });
  assert.equal(json.directions.length, 4); // L + 1 hidden states
  const [b, g] = [await means(HARMFUL), await means(HARMLESS)];
  // state 0 is the embedding of the last prompt token, the template's same closing token for
  // every prompt: the means coincide and the direction is zero, not NaN
  assert.ok(json.directions[0].every((x: number) => x === 0));
  for (let s = 1; s < 4; s++) {
    const diff = b[s].map((x, c) => x - g[s][c]);
    const norm = Math.hypot(...diff);
    json.directions[s].forEach((x: number, c: number) => {
      assert.ok(Math.abs(x - diff[c] / norm) < 1e-5, `state ${s}[${c}]`);
    });
    assert.equal(json.diagnostics[s].state, s);
    assert.ok(Math.abs(json.diagnostics[s].differenceNorm - norm) < 1e-4 * norm);
    assert.equal(typeof json.diagnostics[s].silhouette, 'number');
  }
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /state\s+cos\(g,b\)\s+\|b-g\|/);
  assert.equal(lines.length, 1 + 4 + 2); // header, 4 states, legend
  assert.match(r.stderr, /4 harmful .* 4 harmless/);

  const again = candor([...args, '--backend', 'cpu', '--output', output]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists; pass --force/);
});

test('--method projected: each direction is orthogonal to the harmless mean', () => {
  const output = join(dir, 'projected.json');
  const r = candor([
    ...args,
    '--method',
    'projected',
    '--winsorize',
    '0.9',
    '--backend',
    'cpu',
    '--output',
    output,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(readFileSync(output, 'utf8'));
  assert.equal(json.method, 'projected');
  assert.equal(json.winsorize, 0.9);
  json.directions.slice(1).forEach((d: number[], i: number) => {
    const s = i + 1;
    const g: number[] = json.harmlessMeans[s];
    const cos = d.reduce((a, x, c) => a + x * g[c], 0) / Math.hypot(...g);
    assert.ok(Math.abs(cos) < 1e-5, `state ${s}: cos ${cos}`);
    assert.ok(Math.abs(Math.hypot(...d) - 1) < 1e-5);
  });
});

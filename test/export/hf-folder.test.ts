// The baked Hugging Face folder as files: same shards, names, dtypes and metadata, untouched
// tensors byte for byte, the tied-embedding untie, and the never-overwrite rule.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { exportHfFolder } from '../../src/export/hf-folder.js';
import { openSafetensors } from '../../src/model/safetensors.js';
import { randomPlan } from './plans.js';

const FIXTURES = 'test/fixtures/models';
const scratch = await mkdtemp(join(tmpdir(), 'candor-export-'));
after(() => rm(scratch, { recursive: true, force: true }));

async function tensorsOf(dir: string, file: string) {
  const f = await openSafetensors(join(dir, file));
  const out = new Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }>();
  for (const [name, info] of f.tensors) {
    out.set(name, { dtype: info.dtype, shape: info.shape, bytes: (await f.read(name)).bytes });
  }
  const metadata = f.metadata;
  await f.close();
  return { tensors: out, metadata };
}

test('llama (3 bf16 shards): same files, edited tensors changed, everything else byte for byte', async () => {
  const source = join(FIXTURES, 'llama');
  const output = join(scratch, 'llama-baked');
  // llama fixture: 3 layers, hidden size 64, untied
  const plan = randomPlan(3, 64, 'full', { seed: 1, embedding: true, skipMlpOfLayer0: true });
  const { notes } = await exportHfFolder({
    modelDir: source,
    plan,
    output,
    force: false,
    sourceModel: 'tiny/llama',
    sourceOnHub: true,
  });
  assert.deepEqual(notes, []);
  const sourceFiles = (await readdir(source)).sort();
  const outFiles = (await readdir(output)).sort();
  assert.deepEqual(outFiles, [...sourceFiles, 'README.md', 'candor-plan.json'].sort());
  for (const f of [
    'config.json',
    'model.safetensors.index.json',
    'tokenizer.json',
    'generation_config.json',
  ]) {
    assert.deepEqual(await readFile(join(output, f)), await readFile(join(source, f)), f);
  }
  const edited = new Set([
    'model.embed_tokens.weight',
    ...[0, 1, 2].map((l) => `model.layers.${l}.self_attn.o_proj.weight`),
    ...[1, 2].map((l) => `model.layers.${l}.mlp.down_proj.weight`),
  ]);
  let seen = 0;
  for (const shard of outFiles.filter((f) => f.endsWith('.safetensors'))) {
    const a = await tensorsOf(source, shard);
    const b = await tensorsOf(output, shard);
    assert.deepEqual(b.metadata, a.metadata);
    assert.deepEqual([...b.tensors.keys()], [...a.tensors.keys()], shard);
    for (const [name, t] of a.tensors) {
      const u = b.tensors.get(name);
      assert.ok(u);
      assert.equal(u.dtype, t.dtype);
      assert.deepEqual(u.shape, t.shape);
      if (edited.has(name)) {
        seen++;
        assert.notDeepEqual(u.bytes, t.bytes, `${name} should be edited`);
      } else {
        assert.deepEqual(u.bytes, t.bytes, `${name} should be copied byte for byte`);
      }
    }
  }
  assert.equal(seen, edited.size);
  const card = await readFile(join(output, 'README.md'), 'utf8');
  assert.match(card, /base_model: tiny\/llama/);
  assert.match(card, /Row normalisation `full`/);
  assert.match(card, /\| 0 \| [\d.]+ \| – \|/); // layer 0: attention edited, MLP not
  const plan2 = JSON.parse(await readFile(join(output, 'candor-plan.json'), 'utf8'));
  assert.equal(plan2.format, 'candor-plan');
});

test('qwen2 (tied): an embedding edit unties the head, which keeps the original table', async () => {
  const source = join(FIXTURES, 'qwen2');
  const output = join(scratch, 'qwen2-baked');
  const plan = randomPlan(2, 64, 'none', { seed: 2, embedding: true });
  const metrics = { refusals: 3, harmfulPrompts: 100, kl: 0.1234, harmlessPrompts: 100 };
  const { notes } = await exportHfFolder({
    modelDir: source,
    plan,
    output,
    force: false,
    sourceModel: './qwen2',
    sourceOnHub: false,
    metrics,
  });
  assert.equal(notes.length, 1);
  const a = await tensorsOf(source, 'model.safetensors');
  const b = await tensorsOf(output, 'model.safetensors');
  assert.equal(a.tensors.has('lm_head.weight'), false);
  const head = b.tensors.get('lm_head.weight');
  assert.deepEqual(head?.bytes, a.tensors.get('model.embed_tokens.weight')?.bytes);
  assert.notDeepEqual(b.tensors.get('model.embed_tokens.weight')?.bytes, head?.bytes);
  const config = JSON.parse(await readFile(join(output, 'config.json'), 'utf8'));
  const original = JSON.parse(await readFile(join(source, 'config.json'), 'utf8'));
  assert.equal(config.tie_word_embeddings, false);
  assert.deepEqual({ ...config, tie_word_embeddings: true }, original);
  const card = await readFile(join(output, 'README.md'), 'utf8');
  assert.match(card, /\| this model \| 3\/100 \| 0\.1234 over 100 prompts \|/);
  assert.match(card, /unties them/);
  assert.doesNotMatch(card, /base_model:/); // a local path is no Hub id
});

test('an existing output is kept without --force and replaced with it; no temporary folder stays', async () => {
  const source = join(FIXTURES, 'mistral');
  const output = join(scratch, 'mistral-baked');
  const plan = randomPlan(2, 64, 'pre', { seed: 3 });
  await exportHfFolder({
    modelDir: source,
    plan,
    output,
    force: false,
    sourceModel: 'm',
    sourceOnHub: false,
  });
  const before = await readFile(join(output, 'model.safetensors'));
  const other = randomPlan(2, 64, 'pre', { seed: 4 });
  await assert.rejects(
    exportHfFolder({
      modelDir: source,
      plan: other,
      output,
      force: false,
      sourceModel: 'm',
      sourceOnHub: false,
    }),
    /already exists; pass --force/,
  );
  assert.deepEqual(await readFile(join(output, 'model.safetensors')), before);
  await exportHfFolder({
    modelDir: source,
    plan: other,
    output,
    force: true,
    sourceModel: 'm',
    sourceOnHub: false,
  });
  assert.notDeepEqual(await readFile(join(output, 'model.safetensors')), before);
  assert.deepEqual(
    (await readdir(scratch)).filter((f) => f.includes('.tmp-')),
    [],
  );
});

test('a plan for another model is refused before anything is written', async () => {
  const output = join(scratch, 'wrong');
  await assert.rejects(
    exportHfFolder({
      modelDir: join(FIXTURES, 'phi3'),
      plan: randomPlan(5, 64, 'none', { seed: 5 }),
      output,
      force: false,
      sourceModel: 'p',
      sourceOnHub: false,
    }),
    /the plan has 5 layers, the model has 2/,
  );
  await assert.rejects(readdir(output));
});

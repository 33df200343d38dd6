// The LoRA export: PEFT's file layout, a rank-1 adapter (modes none, pre) merged by our loader
// equals the baked model, and for mode full the rank-k error shrinks with k and is reported.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AblationPlan } from '../../src/ablate/plan.js';
import { compileAblation } from '../../src/ablate/runtime.js';
import { hostToF32 } from '../../src/backend/cpu/dtype.js';
import { createCpuBackend } from '../../src/backend/cpu/index.js';
import { hostStream } from '../../src/backend/weight-stream.js';
import { Engine } from '../../src/engine/engine.js';
import { exportHfFolder } from '../../src/export/hf-folder.js';
import { exportLoraAdapter } from '../../src/export/lora-adapter.js';
import { mergeLoraAdapter } from '../../src/export/lora-apply.js';
import { openModel } from '../../src/model/open.js';
import { openSafetensors } from '../../src/model/safetensors.js';
import { FIXTURES, f32Copy, maxAbsDiff, PROMPTS } from './fixture-models.js';
import { randomPlan } from './plans.js';

const cpu = createCpuBackend();
const scratch = await mkdtemp(join(tmpdir(), 'candor-lora-'));
after(() => rm(scratch, { recursive: true, force: true }));
const LLAMA = join(FIXTURES, 'llama'); // 3 layers, C = 64, F = 128, bf16, untied

/** Log-probs of the original model with an adapter merged on load by our loader. */
async function withAdapter(modelDir: string, adapterDir: string): Promise<Float32Array[]> {
  const model = await openModel(modelDir);
  const merged = await mergeLoraAdapter(adapterDir, (name) => model.readTensor(name));
  const engine = await Engine.load(cpu, {
    spec: model.spec,
    loadWeights: (upload) =>
      model.loadWeights((name, t) => {
        const m = merged.get(name);
        return upload(name, m ? hostStream(m) : t);
      }),
  });
  const out = await engine.nextTokenLogProbs(PROMPTS);
  engine.dispose();
  await model.close();
  return out;
}

/** mean over prompts of KL(p ‖ q) = Σ exp(p)(p − q), from log-prob rows */
function meanKl(p: Float32Array[], q: Float32Array[]): number {
  let total = 0;
  p.forEach((row, i) => {
    for (let j = 0; j < row.length; j++) total += Math.exp(row[j]) * (row[j] - q[i][j]);
  });
  return total / p.length;
}

async function logProbsOf(modelDir: string, plan?: AblationPlan): Promise<Float32Array[]> {
  const model = await openModel(modelDir);
  const engine = await Engine.load(cpu, model);
  const ablation = plan
    ? { ablation: await compileAblation(cpu, engine.weights, [plan]) }
    : undefined;
  const out = await engine.nextTokenLogProbs(PROMPTS, { ablation });
  engine.dispose();
  await model.close();
  return out;
}

test('PEFT layout: adapter_config.json and lora_A [r, in] / lora_B [out, r] under base_model.model.', async () => {
  const plan = randomPlan(3, 64, 'none', { seed: 31, embedding: true, skipMlpOfLayer0: true });
  const output = join(scratch, 'layout');
  const report = await exportLoraAdapter({
    modelDir: LLAMA,
    plan,
    output,
    force: false,
    sourceModel: 'org/tiny-llama',
    sourceOnHub: true,
    rank: 3,
    seed: 0,
  });
  assert.equal(report.rank, 1); // mode none is exact at rank 1 whatever --rank says
  const config = JSON.parse(await readFile(join(output, 'adapter_config.json'), 'utf8'));
  assert.equal(config.peft_type, 'LORA');
  assert.equal(config.r, 1);
  assert.equal(config.lora_alpha, 1);
  assert.equal(config.base_model_name_or_path, 'org/tiny-llama');
  assert.deepEqual(config.target_modules, [
    'model.layers.0.self_attn.o_proj',
    'model.layers.1.self_attn.o_proj',
    'model.layers.1.mlp.down_proj',
    'model.layers.2.self_attn.o_proj',
    'model.layers.2.mlp.down_proj',
    'model.embed_tokens',
  ]);
  const f = await openSafetensors(join(output, 'adapter_model.safetensors'));
  const shapes = Object.fromEntries([...f.tensors].map(([k, v]) => [k, [v.dtype, ...v.shape]]));
  await f.close();
  assert.deepEqual(shapes['base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight'], [
    'F32',
    1,
    64,
  ]);
  assert.deepEqual(shapes['base_model.model.model.layers.0.self_attn.o_proj.lora_B.weight'], [
    'F32',
    64,
    1,
  ]);
  assert.deepEqual(shapes['base_model.model.model.layers.1.mlp.down_proj.lora_A.weight'], [
    'F32',
    1,
    128,
  ]);
  assert.deepEqual(shapes['base_model.model.model.layers.1.mlp.down_proj.lora_B.weight'], [
    'F32',
    64,
    1,
  ]);
  // embedding LoRA: A [r, V], B [C, r], no ".weight" (PEFT keeps them in a ParameterDict)
  assert.deepEqual(shapes['base_model.model.model.embed_tokens.lora_embedding_A'], ['F32', 1, 448]);
  assert.deepEqual(shapes['base_model.model.model.embed_tokens.lora_embedding_B'], ['F32', 64, 1]);
  assert.equal(Object.keys(shapes).length, 12);
  assert.match(
    await readFile(join(output, 'README.md'), 'utf8'),
    /library_name: peft[\s\S]*Rank 1;.*\(exact\)/,
  );
});

test('rank-1 adapters (none, pre) merged by our loader equal the baked model', async (t) => {
  for (const mode of ['none', 'pre'] as const) {
    const plan = randomPlan(3, 64, mode, { seed: 32, embedding: true });
    const adapter = join(scratch, `adapter-${mode}`);
    const baked = join(scratch, `baked-${mode}`);
    await exportLoraAdapter({
      modelDir: LLAMA,
      plan,
      output: adapter,
      force: false,
      sourceModel: 'l',
      sourceOnHub: false,
      rank: 1,
      seed: 0,
    });
    await exportHfFolder({
      modelDir: LLAMA,
      plan,
      output: baked,
      force: false,
      sourceModel: 'l',
      sourceOnHub: false,
    });
    // tensor by tensor: the merge rounds β·u through f32 factors first, the bake does not, so
    // a value may land one bf16 step (2⁻⁸ relative) away, never more
    const model = await openModel(LLAMA);
    const bakedModel = await openModel(baked);
    const merged = await mergeLoraAdapter(adapter, (name) => model.readTensor(name));
    assert.equal(merged.size, 7); // 3 layers × 2 writers + the embedding
    let differing = 0;
    for (const [name, t] of merged) {
      const a = hostToF32(name, t);
      const b = hostToF32(name, await bakedModel.readTensor(name));
      for (let i = 0; i < a.length; i++) {
        if (a[i] === b[i]) continue;
        differing++;
        assert.ok(
          Math.abs(a[i] - b[i]) <= Math.abs(b[i]) * 2 ** -7,
          `${name}[${i}] ${a[i]} vs ${b[i]}`,
        );
      }
    }
    t.diagnostic(`${mode}: ${differing} of 65536 merged values one step from the baked ones`);
    assert.ok(differing < 100, `${differing} values differ`); // of 3·(64·64 + 64·128) + 448·64 = 65536
    await model.close();
    await bakedModel.close();
    const d = maxAbsDiff(await withAdapter(LLAMA, adapter), await logProbsOf(baked));
    assert.ok(d < 1e-2, `${mode}: adapter vs baked log-probs ${d}`);
  }
});

test('mode full: the rank-k error is reported, shrinks with k, and so does the log-prob gap', async (t) => {
  const f32 = join(scratch, 'llama-f32');
  await mkdir(f32);
  await f32Copy(LLAMA, f32);
  const plan = randomPlan(3, 64, 'full', { seed: 33, weight: 1 });
  const exact = await logProbsOf(f32, plan);
  const plain = await logProbsOf(f32);
  let previous = { error: Number.POSITIVE_INFINITY, gap: Number.POSITIVE_INFINITY };
  for (const rank of [1, 3, 8]) {
    const adapter = join(scratch, `full-r${rank}`);
    const report = await exportLoraAdapter({
      modelDir: f32,
      plan,
      output: adapter,
      force: false,
      sourceModel: 'l',
      sourceOnHub: false,
      rank,
      seed: 0,
    });
    const errors = report.errors.map((e) => e.relativeError);
    const max = Math.max(...errors);
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    const approx = await withAdapter(f32, adapter);
    const gap = maxAbsDiff(approx, exact);
    t.diagnostic(
      `rank ${rank}: relative Frobenius error max ${max.toExponential(3)} mean ${mean.toExponential(3)}; ` +
        `max |Δ log-prob| vs exact ${gap.toExponential(3)}, KL(exact ‖ rank ${rank}) ${meanKl(exact, approx).toExponential(3)} ` +
        `(the plan itself: max |Δ log-prob| ${maxAbsDiff(plain, exact).toFixed(3)}, KL(original ‖ exact) ${meanKl(plain, exact).toFixed(3)})`,
    );
    assert.ok(max > 0 && max < 1, `rank ${rank}: ${max}`);
    assert.ok(max < previous.error, `rank ${rank}: error should shrink`);
    assert.ok(gap < previous.gap, `rank ${rank}: gap should shrink`);
    assert.match(
      await readFile(join(adapter, 'README.md'), 'utf8'),
      new RegExp(`Rank ${rank}; relative Frobenius error`),
    );
    previous = { error: max, gap };
  }
});

test('refusals: embedding edits of tied models, and adapters PEFT would not merge the same way', async () => {
  const plan = randomPlan(2, 64, 'none', { seed: 34, embedding: true });
  await assert.rejects(
    exportLoraAdapter({
      modelDir: join(FIXTURES, 'qwen2'),
      plan,
      output: join(scratch, 'tied'),
      force: false,
      sourceModel: 'q',
      sourceOnHub: false,
      rank: 1,
      seed: 0,
    }),
    /tied embeddings.*--format model/,
  );
  const adapter = join(scratch, 'layout');
  const config = JSON.parse(await readFile(join(adapter, 'adapter_config.json'), 'utf8'));
  const broken = join(scratch, 'dora');
  await mkdir(broken);
  const { writeFile, copyFile } = await import('node:fs/promises');
  await copyFile(
    join(adapter, 'adapter_model.safetensors'),
    join(broken, 'adapter_model.safetensors'),
  );
  await writeFile(
    join(broken, 'adapter_config.json'),
    JSON.stringify({ ...config, use_dora: true }),
  );
  const model = await openModel(LLAMA);
  await assert.rejects(
    mergeLoraAdapter(broken, (n) => model.readTensor(n)),
    /use_dora is true/,
  );
  await model.close();
});

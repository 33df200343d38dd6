// The baked model equals the run-time plan on the original: same next-token log-probs on every
// fixture architecture, every normalisation mode, on each backend. Exactness is checked on f32
// copies of the fixtures; the stored dtypes (bf16, f16) add only their rounding of the weights.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AblationPlan } from '../../src/ablate/plan.js';
import { compileAblation, disposeAblation } from '../../src/ablate/runtime.js';
import type { Backend } from '../../src/backend/backend.js';
import { Engine } from '../../src/engine/engine.js';
import { exportHfFolder } from '../../src/export/hf-folder.js';
import { readModelConfig } from '../../src/model/config.js';
import { openModel } from '../../src/model/open.js';
import {
  ARCHITECTURES,
  FIXTURES,
  f32Copy,
  maxAbsDiff,
  PROMPTS,
  testBackends,
} from './fixture-models.js';
import { randomPlan } from './plans.js';

const scratch = await mkdtemp(join(tmpdir(), 'candor-bake-'));
const { backends, skipped } = await testBackends();
if (skipped) console.log(`# ${skipped}`);
after(async () => {
  for (const b of backends) b.destroy();
  await rm(scratch, { recursive: true, force: true });
});

// Unit roundoff of a baked weight: bf16 2⁻⁹, f16 2⁻¹². Through 2–4 layers of these random
// fixtures (fan-in 64–128, log-probs up to ~20) that moves log-probs by a few hundred units of
// roundoff: at most 0.25 for bf16 and 0.03 for f16, far below the plan's own effect (> 1 here).
const STORED_TOLERANCE: Record<string, number> = { bf16: 0.25, f16: 0.03, f32: 1e-4 };

/**
 * Log-probs of PROMPTS: the plan applied at run time to `original`, the baked export of
 * `original`, and the original without the plan (to show the plan matters).
 */
async function compare(backend: Backend, original: string, plan: AblationPlan, tag: string) {
  const model = await openModel(original);
  const engine = await Engine.load(backend, model);
  const ablation = await compileAblation(backend, engine.weights, [plan]);
  const runtime = await engine.nextTokenLogProbs(PROMPTS, { ablation: { ablation } });
  const plain = await engine.nextTokenLogProbs(PROMPTS);
  disposeAblation(backend, ablation);
  engine.dispose();
  await model.close();
  const output = join(scratch, `${tag}-${backend.name}`);
  await exportHfFolder({
    modelDir: original,
    plan,
    output,
    force: false,
    sourceModel: tag,
    sourceOnHub: false,
  });
  const bakedModel = await openModel(output);
  const bakedEngine = await Engine.load(backend, bakedModel);
  const baked = await bakedEngine.nextTokenLogProbs(PROMPTS);
  bakedEngine.dispose();
  await bakedModel.close();
  return { bakedVsRuntime: maxAbsDiff(baked, runtime), planEffect: maxAbsDiff(plain, runtime) };
}

for (const arch of ARCHITECTURES) {
  test(`${arch}: baked (f32 copy) equals the run-time plan in modes none, pre, full`, async (t) => {
    const f32 = join(scratch, `${arch}-f32`);
    await mkdir(f32);
    await f32Copy(join(FIXTURES, arch), f32);
    const { spec } = await readModelConfig(f32);
    for (const backend of backends) {
      // the modes differ only in host-side terms, so a slow (software) GPU runs full alone: it
      // exercises every backend op the others use, and rowNorms, linear and linearTransposed too
      const modes =
        backend.name === 'cpu' ? (['none', 'pre', 'full'] as const) : (['full'] as const);
      for (const mode of modes) {
        // every writer edited with its own direction, plus the embedding (tied models get untied)
        const plan = randomPlan(spec.numLayers, spec.hiddenSize, mode, {
          seed: 11,
          embedding: true,
        });
        const r = await compare(backend, f32, plan, `${arch}-${mode}`);
        t.diagnostic(
          `${backend.name} ${mode}: |baked − runtime| ${r.bakedVsRuntime.toExponential(2)}, plan effect ${r.planEffect.toFixed(2)}`,
        );
        // f32 weights on both sides: they differ only by the f32 rounding of the baked weights
        // and of the run-time products, ~1e-7 relative on log-probs of magnitude ≤ 20; a GPU
        // that stores weights as f16 rounds both sides' weights to f16 first
        const tolerance = STORED_TOLERANCE[backend.weightDType === 'f16' ? 'f16' : 'f32'];
        assert.ok(r.bakedVsRuntime < tolerance, `${backend.name} ${mode}: ${r.bakedVsRuntime}`);
        assert.ok(
          r.planEffect > 0.5,
          `${backend.name} ${mode}: the plan should change the log-probs`,
        );
      }
    }
  });
}

const STORED_DTYPE: Record<string, string> = {
  llama: 'bf16',
  mistral: 'f16',
  qwen2: 'bf16',
  qwen3: 'bf16',
  gemma2: 'bf16',
  gemma3_text: 'bf16',
  phi3: 'f32',
};

test('stored dtypes: baked fixtures agree with the run-time plan up to their rounding', async (t) => {
  const backend = backends[0];
  for (const arch of ARCHITECTURES) {
    const { spec } = await readModelConfig(join(FIXTURES, arch));
    const plan = randomPlan(spec.numLayers, spec.hiddenSize, 'full', { seed: 12, embedding: true });
    const r = await compare(backend, join(FIXTURES, arch), plan, `${arch}-stored`);
    const dtype = STORED_DTYPE[arch];
    t.diagnostic(
      `${arch} (${dtype}): |baked − runtime| ${r.bakedVsRuntime.toExponential(2)}, plan effect ${r.planEffect.toFixed(2)}`,
    );
    assert.ok(r.bakedVsRuntime < STORED_TOLERANCE[dtype], `${arch}: ${r.bakedVsRuntime}`);
    assert.ok(r.planEffect > 0.5, arch);
  }
});

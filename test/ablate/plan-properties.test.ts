// Properties of plans on the fixture models, at run time and baked: a zero-weight plan is the
// identity; weight 1 (mode none) with one direction r on the embedding and every writer leaves
// the residual stream with no component along r (architectures without sandwich norms: Gemma's
// post-norms rescale each writer's output per dimension after the edit, so there it cannot hold).

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AblationPlan, ComponentEdit } from '../../src/ablate/plan.js';
import { compileAblation, disposeAblation } from '../../src/ablate/runtime.js';
import { createCpuBackend } from '../../src/backend/cpu/index.js';
import { Engine } from '../../src/engine/engine.js';
import { exportHfFolder } from '../../src/export/hf-folder.js';
import { openModel } from '../../src/model/open.js';
import { ARCHITECTURES, FIXTURES, f32Copy, maxAbsDiff, PROMPTS } from '../export/fixture-models.js';
import { randomPlan } from '../export/plans.js';

const cpu = createCpuBackend();
const scratch = await mkdtemp(join(tmpdir(), 'candor-props-'));
after(() => rm(scratch, { recursive: true, force: true }));

/** The same edit everywhere: the embedding and both writers of every layer. */
function everywhere(layers: number, edit: ComponentEdit): AblationPlan {
  return {
    normalization: 'none',
    embedding: edit,
    layers: Array.from({ length: layers }, () => ({ attn: edit, mlp: edit })),
  };
}

test('a zero-weight plan is the identity: run time (every mode) and baked (same tensor bytes)', async () => {
  for (const arch of ARCHITECTURES) {
    const model = await openModel(join(FIXTURES, arch));
    const engine = await Engine.load(cpu, model);
    const plain = await engine.nextTokenLogProbs(PROMPTS);
    for (const mode of ['none', 'pre', 'full'] as const) {
      const plan = randomPlan(model.spec.numLayers, model.spec.hiddenSize, mode, {
        seed: 21,
        embedding: true,
        weight: 0,
      });
      const ablation = await compileAblation(cpu, engine.weights, [plan]);
      const ablated = await engine.nextTokenLogProbs(PROMPTS, { ablation: { ablation } });
      disposeAblation(cpu, ablation);
      // none: y − 0·v(vᵀy) is y exactly; pre/full: y·(1/n)·n rounds once more in f32
      if (mode === 'none') assert.deepEqual(ablated, plain, arch);
      else assert.ok(maxAbsDiff(ablated, plain) < 1e-5, `${arch} ${mode}`);
      const output = join(scratch, `${arch}-zero-${mode}`);
      await exportHfFolder({
        modelDir: join(FIXTURES, arch),
        plan,
        output,
        force: false,
        sourceModel: arch,
        sourceOnHub: false,
      });
      const baked = await openModel(output);
      for (const name of model.tensorNames()) {
        const [a, b] = [await baked.readTensor(name), await model.readTensor(name)];
        assert.deepEqual(a.bytes, b.bytes, `${arch} ${mode} ${name}`);
      }
      await baked.close();
    }
    engine.dispose();
    await model.close();
  }
});

test('weight 1 on the embedding and every writer removes r from the residual stream', async () => {
  for (const arch of ARCHITECTURES.filter((a) => !a.startsWith('gemma'))) {
    const f32 = join(scratch, `${arch}-f32`);
    await mkdir(f32);
    await f32Copy(join(FIXTURES, arch), f32);
    const model = await openModel(f32);
    const { numLayers, hiddenSize: C } = model.spec;
    const r = randomPlan(1, C, 'none', { seed: 22 }).layers[0].attn as ComponentEdit;
    const plan = everywhere(numLayers, { direction: r.direction, weight: 1 });
    const output = join(scratch, `${arch}-ortho`);
    await exportHfFolder({
      modelDir: f32,
      plan,
      output,
      force: false,
      sourceModel: arch,
      sourceOnHub: false,
    });
    const engine = await Engine.load(cpu, model);
    const ablation = await compileAblation(cpu, engine.weights, [plan]);
    const runtime = await engine.residuals(PROMPTS, { ablation: { ablation } });
    const plain = await engine.residuals(PROMPTS);
    const bakedModel = await openModel(output);
    const bakedEngine = await Engine.load(cpu, bakedModel);
    const baked = await bakedEngine.residuals(PROMPTS);
    bakedEngine.dispose();
    const along = (states: Float32Array[]): number => {
      let worst = 0;
      for (const rows of states) {
        for (let p = 0; p < PROMPTS.length; p++) {
          const h = rows.subarray(p * C, (p + 1) * C);
          const dot = h.reduce((s, x, c) => s + x * r.direction[c], 0);
          worst = Math.max(worst, Math.abs(dot) / Math.hypot(...h));
        }
      }
      return worst;
    };
    // |rᵀh|/‖h‖: f32 rounding of the sums only (~1e-7) after the edit; order 0.1 without it
    assert.ok(along(runtime) < 1e-5, `${arch} run time: ${along(runtime)}`);
    assert.ok(along(baked) < 1e-5, `${arch} baked: ${along(baked)}`);
    assert.ok(along(plain) > 1e-2, `${arch}: the unedited stream should have a component along r`);
    disposeAblation(cpu, ablation);
    engine.dispose();
    await model.close();
    await bakedModel.close();
  }
});

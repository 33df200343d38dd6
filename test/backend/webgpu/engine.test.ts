// The engine on WebGPU against the engine on the CPU backend, for every fixture model in
// test/fixtures/models: next-token logits within a stated norm-relative error, and the same
// greedy continuation over the steps whose top-1/top-2 logit margin (from transformers' golden)
// is wide enough that the backends' rounding cannot flip them.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Engine } from '../../../src/engine/engine.js';
import { openModel } from '../../../src/model/open.js';
import { loadTokenizer } from '../../../src/tokenize/tokenizer.js';
import { relativeError } from '../cpu/approx.js';
import { cpu, openGpuCases, SUBGROUP_MATRIX_TOL } from './harness.js';

interface Golden {
  eos_token_ids: number[];
  max_new_tokens: number;
  cases: {
    name: string;
    messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
    /** top-1 − top-2 logit of each kept step; a 'margin' stop drops the step that was too close */
    greedy_margins: number[];
    greedy_stop: 'eos' | 'max_new_tokens' | 'margin';
  }[];
}

const ARCHITECTURES = ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma2', 'gemma3_text', 'phi3'];
const setup = await openGpuCases();

describe('engine on webgpu vs cpu, fixture models', { skip: setup.skip }, () => {
  for (const arch of ARCHITECTURES) {
    const dir = `test/fixtures/models/${arch}`;
    test(arch, async (t) => {
      const golden = JSON.parse(readFileSync(`${dir}/golden.json`, 'utf8')) as Golden;
      const tokenizer = await loadTokenizer(dir);
      const prompts = golden.cases.map((c) =>
        tokenizer.encodeChat(c.messages, { addGenerationPrompt: true }),
      );
      const generate = { maxNewTokens: golden.max_new_tokens, eosTokenIds: golden.eos_token_ids };
      const cpuModel = await openModel(dir);
      const cpuEngine = await Engine.load(cpu, cpuModel, { maxRowsPerStep: 48 });
      const expectedLogits = await cpuEngine.nextTokenLogits(prompts);
      const expected = await cpuEngine.generate(prompts, generate);
      cpuEngine.dispose();
      await cpuModel.close();

      for (const { label, gpu, matrixTol } of setup.cases) {
        await t.test(label, async () => {
          const model = await openModel(dir);
          const engine = await Engine.load(gpu, model, { maxRowsPerStep: 48 });
          // f32 weights: f32 arithmetic, 1e-4 as the CPU's own parity with transformers; f16
          // weights round an f32-stored model (phi3); subgroup matrices round activations to f16
          const f16Rounding = gpu.weightDType === 'f16' && arch === 'phi3';
          const tol = matrixTol > 1e-5 || f16Rounding ? 20 * SUBGROUP_MATRIX_TOL : 1e-4;
          const logits = await engine.nextTokenLogits(prompts);
          for (const [i, c] of golden.cases.entries()) {
            const err = relativeError(logits[i], expectedLogits[i]);
            assert.ok(err < tol, `${c.name}: logits relative error ${err} (tolerance ${tol})`);
          }
          const got = await engine.generate(prompts, generate);
          const minMargin = tol > 1e-4 ? 0.25 : 1e-3;
          for (const [i, c] of golden.cases.entries()) {
            const firstClose = c.greedy_margins.findIndex((m) => m < minMargin);
            const known =
              c.greedy_stop === 'margin' ? c.greedy_margins.length : expected.tokens[i].length;
            const steps = firstClose < 0 ? known : firstClose;
            assert.deepEqual(
              got.tokens[i].slice(0, steps),
              expected.tokens[i].slice(0, steps),
              c.name,
            );
          }
          engine.dispose();
          await model.close();
        });
      }
    });
  }
});

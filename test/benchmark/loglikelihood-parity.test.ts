// Per-choice log-likelihoods equal transformers' (goldens from tools/goldens/make_benchmark_goldens.py,
// CPU float32) on fixture models: the harness's encoding of text pairs gives the same token ids,
// the engine the same summed log-probabilities, and the fixture tasks the same acc and acc_norm.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createCpuBackend } from '../../src/backend/cpu/index.js';
import { encodePair, prefixTokenId } from '../../src/benchmark/encode.js';
import { type PreparedTask, prepareTask, scoreTask } from '../../src/benchmark/run.js';
import { loadTask } from '../../src/benchmark/task.js';
import { continuationLogLikelihoods } from '../../src/engine/continuation.js';
import { Engine } from '../../src/engine/engine.js';
import { openModel } from '../../src/model/open.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';

interface GoldenPair {
  context: string;
  continuation: string;
  context_ids: number[];
  continuation_ids: number[];
  loglikelihood: number;
}
interface GoldenTask {
  items: { loglikelihoods: number[]; acc: number; acc_norm: number }[];
  acc: number;
  acc_norm: number;
}
const goldens = JSON.parse(readFileSync('test/benchmark/fixtures/goldens.json', 'utf8')) as {
  models: Record<string, { pairs: GoldenPair[]; tasks: Record<string, GoldenTask> }>;
};
const TASKS: Record<string, string> = {
  arc_fixture: 'test/benchmark/fixtures/arc_fixture.json',
  plain: 'test/benchmark/fixtures/plain.jsonl',
};
/** f32 logits summed over up to 21 tokens: absolute tolerance on a log-likelihood */
const TOLERANCE = 2e-3;

for (const [arch, golden] of Object.entries(goldens.models)) {
  test(`${arch}: continuation log-likelihoods and task scores equal transformers'`, async () => {
    const dir = `test/fixtures/models/${arch}`;
    const model = await openModel(dir);
    const tokenizer = await loadTokenizer(dir);
    const engine = await Engine.load(createCpuBackend(), model);
    try {
      const prefix = prefixTokenId(tokenizer, model.spec.eosTokenIds);
      const pairs = golden.pairs.map((p) =>
        encodePair(tokenizer, p.context, p.continuation, prefix),
      );
      for (const [i, p] of golden.pairs.entries()) {
        assert.deepEqual(pairs[i].context, p.context_ids, `pair ${i} context ids`);
        assert.deepEqual(pairs[i].continuation, p.continuation_ids, `pair ${i} continuation ids`);
      }
      const lls = await continuationLogLikelihoods(engine, pairs, { batchSize: 4 });
      for (const [i, p] of golden.pairs.entries()) {
        assert.ok(
          Math.abs(lls[i] - p.loglikelihood) < TOLERANCE,
          `pair ${i}: ${lls[i]} vs transformers ${p.loglikelihood}`,
        );
      }
      for (const [name, path] of Object.entries(TASKS)) {
        const want = golden.tasks[name];
        const task: PreparedTask = await prepareTask(
          await loadTask(path),
          tokenizer,
          model.spec.eosTokenIds,
          {
            limit: null,
            shots: 0,
            seed: 1234,
          },
        );
        assert.equal(task.kind, 'multiple_choice');
        if (task.kind !== 'multiple_choice') return;
        const got = await continuationLogLikelihoods(engine, task.encoded.flat());
        const wanted = want.items.flatMap((it) => it.loglikelihoods);
        assert.equal(got.length, wanted.length, `${name}: one log-likelihood per choice`);
        for (const [k, v] of wanted.entries()) {
          assert.ok(Math.abs(got[k] - v) < TOLERANCE, `${name} request ${k}: ${got[k]} vs ${v}`);
        }
        const scores = await scoreTask(engine, tokenizer, task, {});
        assert.deepEqual(
          scores.acc,
          want.items.map((it) => it.acc),
          `${name} acc per item`,
        );
        assert.deepEqual(
          scores.acc_norm,
          want.items.map((it) => it.acc_norm),
          `${name} acc_norm per item`,
        );
      }
    } finally {
      engine.dispose();
      await model.close();
    }
  });
}

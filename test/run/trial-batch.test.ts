// Several trials in one engine batch on the demo model (CPU): scoreEach gives every plan what
// score gives it alone (responses, refusals, early-exit savings, KL), and runStudy with three
// trials a batch tells each trial once with the values of its plan evaluated alone, marks a
// failed batch's trials failed, and resumes after a stop.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { measureDirections } from '../../src/ablate/directions-report.js';
import { gaussianPlan } from '../../src/ablate/kernel-gaussian.js';
import type { AblationPlan } from '../../src/ablate/plan.js';
import { compileAblation, disposeAblation } from '../../src/ablate/runtime.js';
import { createCpuBackend } from '../../src/backend/cpu/index.js';
import { Engine } from '../../src/engine/engine.js';
import { RefusalMarkers } from '../../src/judge/markers.js';
import { openModel } from '../../src/model/open.js';
import { ObjectiveSession } from '../../src/objectives/session.js';
import type { Params } from '../../src/optimize/space.js';
import { Study } from '../../src/optimize/study.js';
import { loadPromptList, PromptEncoder } from '../../src/run/prompts.js';
import { resolveTrialsPerBatch, runStudy } from '../../src/run/study-runner.js';
import { TrialEvaluator, type TrialScores } from '../../src/run/trial-evaluator.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import { Progress } from '../../src/ui/progress.js';
import { assertClose } from '../backend/cpu/approx.js';

const DEMO = 'models/demo';
const backend = createCpuBackend();
const opened = await openModel(DEMO);
const engine = await Engine.load(backend, opened);
await opened.close();
const tokenizer = await loadTokenizer(DEMO);
const encoder = new PromptEncoder(tokenizer, 'You are a helpful assistant.', '');
const encoded = async (spec: string) => encoder.encode(await loadPromptList(spec));
const harmfulTexts = await loadPromptList('censored-topics:eval[:5]');
const harmlessTexts = await loadPromptList('harmless:eval[:3]');
const harmful = encoder.encode(harmfulTexts);
const harmless = encoder.encode(harmlessTexts);
const { harmful: h, harmless: b } = await measureDirections(
  engine,
  await encoded('censored-topics:train[:8]'),
  await encoded('harmless:train[:8]'),
  {
    method: 'projected',
    winsorize: 0,
    sampleSize: 8,
    batchSize: 8,
    states: engine.spec.numLayers + 1,
    hiddenSize: engine.spec.hiddenSize,
  },
);
/** strength 0 leaves the model refusing all five prompts; 1.5 makes it answer all five */
const plan = (strength: number): AblationPlan =>
  gaussianPlan(h.means, b.means, { method: 'projected', peak: 0.3, width: 0.3, strength }, 'full');
const baseline = await engine.nextTokenLogProbs(harmless);
const decode = (ids: readonly number[]) => tokenizer.decode([...ids], { skipSpecialTokens: true });
const markers = new RefusalMarkers();
// batches of 4 rows: the 10 harmful rows of two plans split 4, 4, 2, mixing the plans
const evaluator = new TrialEvaluator(engine, { harmful, harmless }, baseline, {
  maxResponseTokens: 12,
  earlyExit: true,
  batchSize: 4,
  decode,
  markers,
});

async function scoreAlone(p: AblationPlan): Promise<TrialScores> {
  const ablation = await compileAblation(backend, engine.weights, [p]);
  try {
    return await evaluator.score(ablation);
  } finally {
    disposeAblation(backend, ablation);
  }
}

function assertSameScores(actual: TrialScores, expected: TrialScores, what: string): void {
  assert.deepEqual(actual.responses, expected.responses, `${what}: responses`);
  assert.equal(actual.refusals, expected.refusals, `${what}: refusals`);
  assert.equal(actual.tokensSaved, expected.tokensSaved, `${what}: tokens saved`);
  assertClose(actual.klPerPrompt, expected.klPerPrompt, 1e-5, `${what}: KL per prompt`);
  assert.ok(
    Math.abs(actual.kl - expected.kl) <= 1e-5,
    `${what}: KL ${actual.kl} vs ${expected.kl}`,
  );
}

test('scoreEach of two plans in one batch gives what score gives each alone', async () => {
  const plans = [plan(0), plan(1.5)];
  const alone = [await scoreAlone(plans[0]), await scoreAlone(plans[1])];
  // the two plans differ in every verdict, and only the refusing one exits early
  assert.deepEqual(
    alone.map((s) => [s.refusals, s.tokensSaved > 0]),
    [
      [5, true],
      [0, false],
    ],
  );
  const ablation = await compileAblation(backend, engine.weights, plans);
  try {
    const together = await evaluator.scoreEach(ablation);
    assert.equal(together.length, 2);
    for (const k of [0, 1]) assertSameScores(together[k], alone[k], `plan ${k}`);
  } finally {
    disposeAblation(backend, ablation);
  }
});

test('trials per batch: auto is 1 on the CPU, on WebGPU as many as fit the rows (1 to 8); a number is kept', () => {
  assert.equal(resolveTrialsPerBatch('auto', 'cpu', 100, 512), 1);
  assert.equal(resolveTrialsPerBatch('auto', 'webgpu', 100, 512), 5);
  assert.equal(resolveTrialsPerBatch('auto', 'webgpu', 78, 512), 6);
  assert.equal(resolveTrialsPerBatch('auto', 'webgpu', 10, 512), 8);
  assert.equal(resolveTrialsPerBatch('auto', 'webgpu', 400, 128), 1);
  assert.equal(resolveTrialsPerBatch(3, 'cpu', 100, 512), 3);
});

const objectives = await ObjectiveSession.load([
  { name: 'refusals', kind: 'refusals' },
  { name: 'kl', kind: 'kl' },
  { module: fileURLToPath(new URL('./fixtures/top-logprob.ts', import.meta.url)) },
]);
await objectives.init({
  prompts: {
    behaviour: harmfulTexts.map((text) => ({ text })),
    baseline: harmlessTexts.map((text) => ({ text })),
  },
  encoded: { behaviour: harmful, baseline: harmless },
  engine,
  decode,
  markers,
});
const planOf = (params: Params): AblationPlan => plan(params.strength as number);

/** A study of the strength alone, every tell counted; progress lines collected. */
async function openStudy(storage: string) {
  const study = await Study.open({
    storage,
    name: 'batched',
    objectives: objectives.definitions,
    space: { strength: { kind: 'float', low: 0, high: 1.5 } },
    sampler: { nStartupTrials: 2 },
    seed: 11,
  });
  const tells = new Map<number, number>();
  const tell = study.tell.bind(study);
  study.tell = (number, result, options) => {
    tells.set(number, (tells.get(number) ?? 0) + 1);
    return tell(number, result, options);
  };
  const lines: string[] = [];
  const sink = { isTTY: false, write: (text: string) => lines.push(text) > 0 };
  const progress = new Progress(sink as unknown as NodeJS.WriteStream);
  return { study, tells, lines, progress };
}

test('runStudy, three trials a batch: each trial told once with its own values; resumes after a stop', async () => {
  const storage = join(mkdtempSync(join(tmpdir(), 'candor-batch-')), 'batched.sqlite');
  const common = { engine, evaluator, objectives, plan: planOf, maxResponseTokens: 12 };
  const first = await openStudy(storage);
  let told = 0;
  await runStudy({
    ...common,
    study: first.study,
    progress: first.progress,
    totalTrials: 4,
    trialsPerBatch: 3,
    onTrial: () => told++,
    // asked before every batch: stops once the first batch is told
    stopRequested: () => told > 0,
  });
  assert.equal(told, 3, 'the first batch of three is told in full before the stop');
  assert.deepEqual(
    [...first.tells.entries()],
    [
      [0, 1],
      [1, 1],
      [2, 1],
    ],
  );
  assert.equal(first.lines.filter((l) => /trial \d\/4 ·/.test(l)).length, 3, first.lines.join(''));
  await first.study.close();

  const second = await openStudy(storage);
  assert.match(second.study.resumeMessage() ?? '', /3 trials done/);
  await runStudy({
    ...common,
    study: second.study,
    progress: second.progress,
    totalTrials: 4,
    trialsPerBatch: 3,
    stopRequested: () => false,
  });
  // only the one trial still wanted is asked
  assert.deepEqual([...second.tells.entries()], [[3, 1]]);
  const trials = await second.study.trials();
  assert.deepEqual(
    trials.map((t) => t.state),
    ['complete', 'complete', 'complete', 'complete'],
  );
  for (const t of trials) {
    const p = planOf(t.params);
    const alone = await scoreAlone(p);
    const ablation = await compileAblation(backend, engine.weights, [p]);
    const expected = await objectives.score({
      responses: alone.responses,
      kl: alone.klPerPrompt,
      ablation: { ablation },
    });
    disposeAblation(backend, ablation);
    const values = t.values as number[];
    assert.equal(values[0], expected[0], `trial ${t.number}: refusals`);
    assertClose(values.slice(1), expected.slice(1), 1e-5, `trial ${t.number}: kl, top_logprob`);
    assert.equal(t.userAttrs.refusals, alone.refusals, `trial ${t.number}: user attrs`);
    assert.equal(t.userAttrs.tokens_saved, alone.tokensSaved, `trial ${t.number}: tokens saved`);
  }
  // the custom objective ran each trial's own plan: the strengths give different values
  assert.equal(new Set(trials.map((t) => (t.values as number[])[2])).size, 4);
  await second.study.close();
});

test('runStudy: an error in a batch marks every trial of it failed', async () => {
  const storage = join(mkdtempSync(join(tmpdir(), 'candor-batch-')), 'batched.sqlite');
  const { study, progress } = await openStudy(storage);
  await assert.rejects(
    runStudy({
      engine,
      evaluator,
      objectives,
      maxResponseTokens: 12,
      study,
      progress,
      totalTrials: 5,
      trialsPerBatch: 3,
      plan: () => {
        throw new Error('no plan for this trial');
      },
      stopRequested: () => false,
    }),
    /no plan for this trial/,
  );
  const trials = await study.trials();
  assert.deepEqual(
    trials.map((t) => [t.state, t.failure]),
    Array.from({ length: 3 }, () => ['failed', 'no plan for this trial']),
  );
  await study.close();
});

// `candor evaluate` end to end on fixture models (llama and mistral share a vocabulary): the JSON
// report's numbers equal the judges' on the printed responses, KL and perplexity equal the ones
// computed here from the engines' next-token log-probabilities, a model against itself and a
// zero-weight plan give KL 0 and removal rate 0, and errors are one line.

import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AblationPlan } from '../../src/ablate/plan.js';
import { planToJson } from '../../src/ablate/plan-io.js';
import { createCpuBackend } from '../../src/backend/cpu/index.js';
import { main } from '../../src/cli/main.js';
import { loadPrompts } from '../../src/data/prompts.js';
import { Engine } from '../../src/engine/engine.js';
import { RefusalCategorizer } from '../../src/judge/categories.js';
import type { EvaluationReport } from '../../src/judge/evaluate.js';
import { klDivergenceRows } from '../../src/judge/kl.js';
import { RefusalMarkers } from '../../src/judge/markers.js';
import { removalRate, summarizeQuality } from '../../src/judge/metrics.js';
import type { CategoryCounts } from '../../src/judge/verdicts.js';
import { openModel } from '../../src/model/open.js';
import { PromptEncoder } from '../../src/run/prompts.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import { candor } from '../helpers/cli.js';

const LLAMA = 'test/fixtures/models/llama';
const MISTRAL = 'test/fixtures/models/mistral';
const SYSTEM = 'You are a helpful assistant.';
const HARMFUL = 'censored-topics:eval[:5]';
const HARMLESS = 'harmless:eval[:4]';
const TOKENS = 8;
// markers that fire on part of a random model's text, so refusals and answers both occur
const MARKERS = ['e', 'a'];

const work = mkdtempSync(join(tmpdir(), 'candor-evaluate-'));
after(() => rmSync(work, { recursive: true, force: true }));
const config = join(work, 'candor.toml');
writeFileSync(config, `refusal_markers = ${JSON.stringify(MARKERS)}\n`);

function evaluate(args: string[]): EvaluationReport {
  const r = candor([
    'evaluate',
    ...args,
    '--harmful',
    HARMFUL,
    '--harmless',
    HARMLESS,
    '--max-new-tokens',
    String(TOKENS),
    '--system-prompt',
    SYSTEM,
    '--backend',
    'cpu',
    '--config',
    config,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 1, 'one JSON object on stdout');
  return JSON.parse(lines[0]) as EvaluationReport;
}

const markers = new RefusalMarkers({ markers: MARKERS });
const categorizer = new RefusalCategorizer();

function categoryCounts(texts: string[]): CategoryCounts {
  const counts: CategoryCounts = { hard_refusal: 0, soft_refusal: 0, topic_deflection: 0, none: 0 };
  for (const t of texts) counts[categorizer.categorize(t).category]++;
  return counts;
}

/** the judges' numbers on the printed responses */
function assertJudgedAsPrinted(report: EvaluationReport): void {
  for (const key of ['refusals', 'total', 'kl', 'removal_rate', 'coherence', 'informativeness']) {
    assert.ok(key in report, `report has "${key}"`);
  }
  const texts = report.responses.map((r) => r.response);
  assert.equal(report.total, 5);
  assert.equal(report.refusals, markers.countRefusals(texts));
  assert.deepEqual(report.categories, categoryCounts(texts));
  assert.deepEqual(
    report.responses.map((r) => r.refusal),
    texts.map((t) => markers.isRefusal(t)),
  );
}

async function engineOf(dir: string): Promise<Engine> {
  const model = await openModel(dir);
  const engine = await Engine.load(createCpuBackend(), model);
  await model.close();
  return engine;
}

test('--baseline another model: KL, perplexity, removal and quality as computed here', async () => {
  const report = evaluate([LLAMA, '--baseline', MISTRAL]);
  assertJudgedAsPrinted(report);
  assert.deepEqual(report.baseline, { kind: 'model', model: MISTRAL });
  const baseTexts = report.responses.map((r) => r.baseline_response as string);
  assert.equal(report.baseline_scores?.refusals, markers.countRefusals(baseTexts));
  const removal = removalRate(
    baseTexts.map((t) => markers.isRefusal(t)),
    report.responses.map((r) => r.refusal),
  );
  assert.equal(report.removal_rate, removal.rate);
  assert.equal(report.removal?.removed, removal.removed);

  // the prompts as the command encodes them, on engines loaded here
  const tokenizer = await loadTokenizer(LLAMA);
  const encoder = new PromptEncoder(tokenizer, SYSTEM, report.response_prefix);
  const harmful = await loadPrompts(HARMFUL);
  const harmfulIds = encoder.encode(harmful.map((p) => p.text));
  const harmlessIds = encoder.encode((await loadPrompts(HARMLESS)).map((p) => p.text));
  const [llama, mistral] = [await engineOf(LLAMA), await engineOf(MISTRAL)];

  // KL = (1/S) Σ_i KL(P_i ‖ Q_i), P the baseline's first-token distribution
  const P = await mistral.nextTokenLogProbs(harmlessIds);
  const Q = await llama.nextTokenLogProbs(harmlessIds);
  const V = llama.spec.vocabSize;
  const kl = P.reduce((s, p, i) => s + klDivergenceRows(p, Q[i], V)[0], 0) / P.length;
  assert.equal(report.kl_prompts, 4);
  assert.ok(Math.abs(report.kl - kl) < 1e-6, `KL ${report.kl}, expected ${kl}`);
  assert.ok(report.kl > 0.01, 'two different models');

  // perplexity of llama's responses under mistral, one next-token call per response prefix
  const generated = await llama.generate(harmfulIds, { maxNewTokens: TOKENS });
  assert.deepEqual(
    generated.tokens.map((ids) => tokenizer.decode(ids, { skipSpecialTokens: true })),
    report.responses.map((r) => r.response),
  );
  let sum = 0;
  let count = 0;
  for (const [i, ids] of generated.tokens.entries()) {
    if (ids.length === 0) continue;
    const rows = await mistral.nextTokenLogProbs(
      ids.map((_, t) => [...harmfulIds[i], ...ids.slice(0, t)]),
    );
    for (const [t, row] of rows.entries()) sum += row[ids[t]];
    count += ids.length;
  }
  const ppl = Math.exp(-sum / count);
  const got = report.coherence.perplexity as number;
  assert.ok(Math.abs(got - ppl) <= 1e-4 * ppl, `perplexity ${got}, expected ${ppl}`);

  // repetition and informativeness: the metrics on the printed responses
  const q = summarizeQuality(
    harmful.map((p, i) => ({
      prompt: p.text,
      response: report.responses[i].response,
      topic: p.topic,
      facts: p.facts,
    })),
  );
  assert.equal(report.coherence.distinct_1, q.distinct1);
  assert.equal(report.coherence.repeated_4gram_share, q.meanRepeated4);
  assert.equal(report.informativeness.topic_overlap, q.meanTopicOverlap);
  assert.equal(report.informativeness.fact_recall, q.meanFactRecall);
  assert.notEqual(q.meanFactRecall, null, 'censored-topics prompts carry facts');
  llama.dispose();
  mistral.dispose();
});

test('a model against itself: KL 0, removal rate 0, the same responses', () => {
  const report = evaluate([LLAMA, '--baseline', LLAMA]);
  assertJudgedAsPrinted(report);
  assert.ok(Math.abs(report.kl) < 1e-6);
  assert.ok((report.removal?.refusals_before ?? 0) > 0, 'the markers fire on some response');
  assert.equal(report.removal_rate, 0);
  assert.equal(report.removal?.introduced, 0);
  assert.deepEqual(
    report.responses.map((r) => r.baseline_response),
    report.responses.map((r) => r.response),
  );
});

function zeroPlan(layers: number): string {
  const direction = new Float32Array(64);
  direction[0] = 1;
  const plan: AblationPlan = {
    normalization: 'full',
    embedding: null,
    layers: Array.from({ length: layers }, () => ({
      attn: { direction, weight: 0 },
      mlp: { direction, weight: 0 },
    })),
  };
  const path = join(work, `zero-${layers}.json`);
  writeFileSync(path, JSON.stringify(planToJson(plan)));
  return path;
}

test('--plan with zero weights: the baseline is the model without it; KL 0, removal rate 0', () => {
  const plan = zeroPlan(3);
  const report = evaluate([LLAMA, '--plan', plan]);
  assertJudgedAsPrinted(report);
  assert.deepEqual(report.baseline, { kind: 'plan', model: null });
  assert.equal(report.plan, plan);
  assert.ok(Math.abs(report.kl) < 1e-6);
  assert.ok((report.removal?.refusals_before ?? 0) > 0, 'the markers fire on some response');
  assert.equal(report.removal_rate, 0);
  assert.equal(report.kl_note, null);
  assert.ok((report.coherence.perplexity as number) > 1);
});

test('no baseline: KL is 0 by definition and says so; no removal rate, no perplexity', () => {
  const report = evaluate([LLAMA]);
  assertJudgedAsPrinted(report);
  assert.deepEqual(report.baseline, { kind: 'none', model: null });
  assert.equal(report.kl, 0);
  assert.match(report.kl_note ?? '', /no baseline: KL is 0 by definition/);
  assert.equal(report.removal_rate, null);
  assert.equal(report.baseline_scores, null);
  assert.equal(report.coherence.perplexity, null);
});

async function rejectsOneLine(args: string[], pattern: RegExp): Promise<void> {
  await assert.rejects(main(['evaluate', ...args, '--backend', 'cpu']), (err: Error) => {
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
    return true;
  });
}

test('errors: missing model folder, bad plan files, mismatched vocabularies', async () => {
  await rejectsOneLine([join(work, 'missing', 'model')], /missing\/model: not a model folder/);
  const notJson = join(work, 'not-json.json');
  writeFileSync(notJson, 'plan?');
  await rejectsOneLine([LLAMA, '--plan', notJson], /not-json\.json: not valid JSON/);
  const notPlan = join(work, 'not-plan.json');
  writeFileSync(notPlan, '{"format": "something-else"}');
  await rejectsOneLine([LLAMA, '--plan', notPlan], /not-plan\.json: "format" is "something-else"/);
  await rejectsOneLine(
    [LLAMA, '--plan', zeroPlan(2)],
    /zero-2\.json: the plan has 2 layers, the model has 3/,
  );

  // llama with two tokens' ids swapped in its vocabulary
  const other = join(work, 'llama-other-vocab');
  mkdirSync(other);
  for (const f of readdirSync(LLAMA)) copyFileSync(join(LLAMA, f), join(other, f));
  const tok = JSON.parse(readFileSync(join(LLAMA, 'tokenizer.json'), 'utf8'));
  const vocab = tok.model.vocab as Record<string, number>;
  [vocab['!'], vocab['"']] = [vocab['"'], vocab['!']];
  writeFileSync(join(other, 'tokenizer.json'), JSON.stringify(tok));
  await rejectsOneLine(
    [LLAMA, '--baseline', other],
    /token 18 is "!" in .*llama but "\\"" in .*llama-other-vocab: the vocabularies differ/,
  );
});

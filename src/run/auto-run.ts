// `candor [run] MODEL`: resolve the model, pick the backend and batch size, compute refusal
// directions, search ablation parameters with TPE (resumable), then let the user (or --select)
// pick a Pareto-optimal trial and save, upload, chat with or evaluate it.

import { mkdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { formatSeparationTable } from '../ablate/diagnostics.js';
import { measureDirections } from '../ablate/directions-report.js';
import type { AblationPlan } from '../ablate/plan.js';
import { selectBackend } from '../backend/select.js';
import type { RunSettings } from '../config/settings.js';
import type { Prompt } from '../data/prompts.js';
import { Engine } from '../engine/engine.js';
import { RefusalMarkers } from '../judge/markers.js';
import { findResponsePrefix } from '../judge/prefix.js';
import { openModel } from '../model/open.js';
import { ObjectiveSession } from '../objectives/session.js';
import { hereticSearchSpace } from '../optimize/space.js';
import { defaultStudyPath, Study, type Trial } from '../optimize/study.js';
import { type Profile, type PromptSetKey, profileOf } from '../profile/profile.js';
import { loadProfilePrompts, type PromptSetRecord } from '../profile/prompts.js';
import { type ChatTokenizer, loadTokenizer } from '../tokenize/tokenizer.js';
import { type Dashboard, startDashboard } from '../ui/dashboard/server.js';
import { studyDashboardState } from '../ui/dashboard/study-state.js';
import { formatValues, type Progress } from '../ui/progress.js';
import { baselineKey, readBaseline, writeBaseline } from './baseline-cache.js';
import { benchmarkBatchSize } from './batch-size.js';
import { resolveModelDir } from './model-source.js';
import { type PostRunContext, postRunActions } from './post-run.js';
import { PromptEncoder, type RunPrompts } from './prompts.js';
import { selectTrial, sortedFront } from './select.js';
import { resolveTrialsPerBatch, runStudy } from './study-runner.js';
import { TrialEvaluator } from './trial-evaluator.js';
import { gaussianSearchSpace, trialPlan } from './trial-plan.js';

export interface AutoRunIO {
  /** true when a person can answer questions on this terminal */
  interactive: boolean;
  progress: Progress;
}

/**
 * Probe prompts for the common response prefix, half from each evaluation set. Both sets,
 * because a prefix must be shared by every response: probing only the harmful prompts of a
 * model that refuses them all alike would take the refusal itself ("I'm sorry, but I can") as
 * the prefix and hide every refusal from the judge.
 */
const PREFIX_PROBES = 64;

function interleave<T>(a: readonly T[], b: readonly T[], n: number): T[] {
  const out: T[] = [];
  for (let i = 0; out.length < n && (i < a.length || i < b.length); i++) {
    if (i < a.length) out.push(a[i]);
    if (i < b.length && out.length < n) out.push(b[i]);
  }
  return out;
}

/**
 * What a run judges trials with: the four prompt sets, the refusal markers, the batch size
 * (measured when the setting is 0), and the evaluation prompts encoded after the common
 * response prefix.
 */
export interface RunJudging {
  prompts: RunPrompts;
  promptSets: Record<PromptSetKey, PromptSetRecord>;
  /** the evaluation sets with their topics and facts (for objectives) */
  evaluationSets: { behaviour: Prompt[]; baseline: Prompt[] };
  markers: RefusalMarkers;
  /** token ids → the text the judges read */
  decode: (ids: readonly number[]) => string;
  /** the chat encoding without a response prefix (direction prompts) */
  plainEncoder: PromptEncoder;
  trialsPerBatch: number;
  batchSize: number;
  /** the chat encoding with the common response prefix (evaluation prompts) */
  encoder: PromptEncoder;
  harmfulEval: number[][];
  harmlessEval: number[][];
}

export async function prepareJudging(
  engine: Engine,
  tokenizer: ChatTokenizer,
  s: RunSettings,
  profile: Profile,
  progress: Progress,
): Promise<RunJudging> {
  const {
    prompts,
    records: promptSets,
    evaluation: evaluationSets,
  } = await loadProfilePrompts(s, profile);
  const markers = new RefusalMarkers({ markers: s.refusal_markers });
  const decode = (ids: readonly number[]) =>
    tokenizer.decode([...ids], { skipSpecialTokens: true });
  const plainEncoder = new PromptEncoder(tokenizer, s.system_prompt, '');
  const trialsPerBatch = resolveTrialsPerBatch(
    s.trials_per_batch,
    engine.backend.name,
    prompts.harmfulEval.length,
    s.max_batch_size,
  );
  let batchSize = s.batch_size;
  if (batchSize === 0) {
    // a trial batch generates for every trial's copy of the evaluation prompts: measure up to
    // that many rows
    const evalRows = plainEncoder.encode(prompts.harmfulEval.slice(0, s.max_batch_size));
    const probe = Array.from({ length: trialsPerBatch }, () => evalRows)
      .flat()
      .slice(0, s.max_batch_size);
    const result = await benchmarkBatchSize(engine, probe, s.max_batch_size);
    batchSize = result.batchSize;
    progress.info(
      `batch size ${batchSize} (${result.measured.map((m) => `${m.batchSize}: ${m.tokensPerSecond.toFixed(0)} tok/s`).join(', ')})`,
    );
  }
  const prefix = await findResponsePrefix(async (candidate) => {
    const encoder = new PromptEncoder(tokenizer, s.system_prompt, candidate);
    const probes = encoder.encode(
      interleave(prompts.harmfulEval, prompts.harmlessEval, PREFIX_PROBES),
    );
    const out = await engine.generate(probes, { maxNewTokens: 16, batchSize });
    return out.tokens.map((ids) => decode(ids));
  });
  if (prefix.prefix !== '')
    progress.info(
      `common response prefix ${JSON.stringify(prefix.prefix)}: judging starts after it`,
    );
  const encoder = new PromptEncoder(tokenizer, s.system_prompt, prefix.prefix);
  const harmfulEval = encoder.encode(prompts.harmfulEval);
  const harmlessEval = encoder.encode(prompts.harmlessEval);
  progress.info(
    `${prompts.harmful.length} harmful and ${prompts.harmless.length} harmless direction prompts; ` +
      `${harmfulEval.length} harmful and ${harmlessEval.length} harmless evaluation prompts`,
  );
  return {
    prompts,
    promptSets,
    evaluationSets,
    markers,
    decode,
    plainEncoder,
    trialsPerBatch,
    batchSize,
    encoder,
    harmfulEval,
    harmlessEval,
  };
}

/** The run's refusal directions: residuals of the direction prompts, means per hidden state. */
export function measureRunDirections(
  engine: Engine,
  judging: Pick<RunJudging, 'prompts' | 'plainEncoder' | 'batchSize'>,
  s: RunSettings,
): ReturnType<typeof measureDirections> {
  const { prompts, plainEncoder, batchSize } = judging;
  return measureDirections(
    engine,
    plainEncoder.encode(prompts.harmful),
    plainEncoder.encode(prompts.harmless),
    {
      method: s.direction_method,
      winsorize: s.winsorize,
      sampleSize: 64,
      batchSize,
      states: engine.spec.numLayers + 1,
      hiddenSize: engine.spec.hiddenSize,
    },
  );
}

/** The run's judge of trials on the evaluation prompts; `earlyExit` as the objectives allow. */
export function runEvaluator(
  engine: Engine,
  judging: Pick<RunJudging, 'harmfulEval' | 'harmlessEval' | 'batchSize' | 'decode' | 'markers'>,
  baseline: readonly Float32Array[],
  s: RunSettings,
  earlyExit: boolean,
): TrialEvaluator {
  const { harmfulEval, harmlessEval, batchSize, decode, markers } = judging;
  return new TrialEvaluator(engine, { harmful: harmfulEval, harmless: harmlessEval }, baseline, {
    maxResponseTokens: s.max_response_tokens,
    earlyExit,
    batchSize,
    decode,
    markers,
  });
}

export async function autoRun(modelArg: string, s: RunSettings, io: AutoRunIO): Promise<number> {
  const { progress } = io;
  progress.stage(`model ${modelArg}`);
  // objectives load first: an unknown name or a bad module fails before any weights are read
  const profile = profileOf(s);
  const objectives = await ObjectiveSession.load(profile.objectives);
  const source = await resolveModelDir(modelArg, s);
  const model = await openModel(source.dir);
  const tokenizer = await loadTokenizer(source.dir);
  const spec = model.spec;
  progress.info(
    `${spec.architecture}: ${spec.numLayers} layers, hidden ${spec.hiddenSize}, vocabulary ${spec.vocabSize}`,
  );

  const backend = await selectBackend(s.backend);
  progress.stage(`loading weights on ${backend.name} (${backend.description})`);
  const engine = await Engine.load(backend, model);
  await model.close();

  progress.stage(`prompts (profile ${profile.name})`);
  const judging = await prepareJudging(engine, tokenizer, s, profile, progress);
  const {
    prompts,
    promptSets,
    evaluationSets,
    markers,
    decode,
    trialsPerBatch,
    batchSize,
    encoder,
    harmfulEval,
    harmlessEval,
  } = judging;

  progress.stage('refusal directions');
  const report = await measureRunDirections(engine, judging, s);
  const means = { harmful: report.harmful.means, harmless: report.harmless.means };
  const { directions, diagnostics: separation } = report;
  process.stderr.write(`${formatSeparationTable(separation)}\n`);

  const output = resolve(s.output ?? `${basename(source.dir.replace(/\/+$/, ''))}-candor`);
  const studyName = s.study ?? basename(output);
  mkdirSync(dirname(output), { recursive: true });
  const storage = s.storage ?? defaultStudyPath(dirname(output), studyName);

  progress.stage('baseline');
  const baselinePath = storage.startsWith('postgresql://')
    ? `${output}.baseline.bin`
    : `${storage}.baseline.bin`;
  const key = baselineKey(source.identity, harmlessEval);
  let baseline = readBaseline(baselinePath, key, spec.vocabSize);
  if (baseline) {
    progress.info(`original next-token distributions from ${baselinePath}`);
  } else {
    baseline = await engine.nextTokenLogProbs(harmlessEval, { batchSize });
    writeBaseline(baselinePath, key, baseline);
  }
  const readers = objectives.wholeResponseReaders;
  if (s.early_exit && readers.length > 0) {
    progress.info(
      `early exit off: objective ${readers.map((n) => `'${n}'`).join(', ')} reads whole responses`,
    );
  }
  await objectives.init({
    prompts: evaluationSets,
    encoded: { behaviour: harmfulEval, baseline: harmlessEval },
    engine,
    decode,
    markers,
  });
  const evaluator = runEvaluator(
    engine,
    judging,
    baseline,
    s,
    s.early_exit && readers.length === 0,
  );
  const original = await evaluator.score(null);
  progress.info(`original model: ${original.refusals}/${harmfulEval.length} refusals`);
  if (profile.objectives) {
    const values = await objectives.score({
      responses: original.responses,
      kl: original.klPerPrompt,
      ablation: undefined,
    });
    progress.info(`original model: ${formatValues(objectives.named(values))}`);
  }
  const objectiveList = objectives.definitions;

  const space =
    s.kernel === 'gaussian'
      ? gaussianSearchSpace()
      : hereticSearchSpace(spec.numLayers, {
          embedding: s.ablate_embedding,
          fullDepthDirection: s.search_space === 'wide',
          fullDepthKernel: s.search_space === 'wide',
        });
  const study = await Study.open({
    storage,
    name: studyName,
    objectives: objectiveList,
    space,
    sampler: { nStartupTrials: s.startup_trials },
    seed: s.seed ?? undefined,
    maxTrials: s.trials,
  });
  const plan = (params: Trial['params']): AblationPlan =>
    trialPlan(s.kernel, params, directions, means, s.normalization);
  progress.stage(
    `search: ${s.trials} trials, ${trialsPerBatch} a batch (study '${study.name}' in ${study.location})`,
  );
  const resumed = study.resumeMessage();
  if (resumed) progress.info(resumed);

  let dashboard: Dashboard | null = null;
  const dashboardState = () =>
    studyDashboardState(study, `${modelArg} · study ${study.name}`, separation);
  if (s.dashboard) {
    dashboard = await startDashboard(await dashboardState(), s.dashboard_port);
    progress.info(`dashboard: ${dashboard.url}`);
  }

  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    progress.info(
      'Ctrl-C: stopping after the trials running now (press again to quit now); run the same command to resume',
    );
  };
  process.on('SIGINT', onSigint);
  try {
    await runStudy({
      study,
      engine,
      evaluator,
      objectives,
      plan,
      progress,
      totalTrials: s.trials,
      trialsPerBatch,
      maxResponseTokens: s.max_response_tokens,
      stopRequested: () => stop,
      onTrial: async () => dashboard?.update(await dashboardState()),
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (stop) {
    await study.close();
    await dashboard?.close();
    progress.info(`stopped; study saved in ${study.location}`);
    return 130;
  }

  const trials = await study.trials();
  const front = sortedFront(await study.paretoFront(), objectiveList);
  progress.done(`search finished: ${front.length} Pareto-optimal trials`);
  const context: PostRunContext = {
    // reproduce.json records the number the search ran with, not 'auto'
    settings: { ...s, trials_per_batch: trialsPerBatch },
    modelArg,
    source,
    engine,
    tokenizer,
    encoder,
    evaluator,
    original,
    plan,
    trials,
    front,
    output,
    io,
    harmfulEvalCount: harmfulEval.length,
    harmlessEvalCount: harmlessEval.length,
    objectives: objectiveList,
    pick: (choice) => selectTrial(trials, front, choice, s.max_kl, objectiveList),
    reproduction: {
      profile,
      promptSets,
      directions,
      means,
      separation,
      directionPrompts: { harmful: prompts.harmful.length, harmless: prompts.harmless.length },
    },
  };
  try {
    return await postRunActions(context);
  } finally {
    await study.close();
    await dashboard?.close();
  }
}

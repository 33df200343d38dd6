// decode-b1, decode-b64, prefill-b64, load time and Heretic's per-trial workload on a
// Llama-3.1-8B-shaped model with random weights, Candor's WebGPU engine against transformers
// on the same GPU in the same run (tools/bench/llama8b.py makes the model and times the peer).
// Also: several trials' plans in one batch (trial-8b-batched), and a 200-trial study
// extrapolated from the measured trial and the measured direction pass (study-8b-200).
//   python tools/bench/llama8b.py DIR peer.json && node --import tsx bench/engine-8b.ts DIR peer.json [--record]
//   (--profile: GPU time by kernel; --sweep-attention; --load-only with llama8b.py --load-only)

import { readFileSync } from 'node:fs';
import { measureDirections } from '../src/ablate/directions-report.js';
import type { AblationPlan } from '../src/ablate/plan.js';
import { compileAblation, disposeAblation } from '../src/ablate/runtime.js';
import { createWebGpuBackend } from '../src/backend/webgpu/index.js';
import { ATTENTION_BLOCK_DEFAULT } from '../src/backend/webgpu/kernels/attention.js';
import type { KernelTime } from '../src/backend/webgpu/recorder.js';
import { Engine } from '../src/engine/engine.js';
import { openModel } from '../src/model/open.js';
import { type BenchRow, RUN_DATE, recordResults } from './results.js';

const [dir, peerFile] = process.argv.slice(2);
const record = process.argv.includes('--record');
const LOAD_ONLY_FLAG = process.argv.includes('--load-only') ? ' --load-only' : '';
const COMMAND = `python tools/bench/llama8b.py /tmp/llama8b peer.json${LOAD_ONLY_FLAG} && node --import tsx bench/engine-8b.ts /tmp/llama8b peer.json${LOAD_ONLY_FLAG} --record`;

/** The same prompt formula as tools/bench/llama8b.py (vocabulary 128256 there; smaller models wrap). */
let idLimit = 128000;
const prompt = (i: number, length: number) =>
  Array.from({ length }, (_, j) => (i * 7919 + j * 104729 + 13) % idLimit);
const batch = (n: number, length: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => prompt(offset + i, length));

async function timed(fn: () => Promise<unknown>, reps = 1): Promise<number> {
  await fn(); // warm-up: pipelines, buffer pool
  const start = performance.now();
  for (let r = 0; r < reps; r++) await fn();
  return (performance.now() - start) / 1000 / reps;
}

const started = performance.now();
const backend = await createWebGpuBackend();
// CANDOR_SKINNY_TILE='{"subgroups":8,...}' tries another batched-decode tile (see kernels/skinny.ts)
if (process.env.CANDOR_SKINNY_TILE) backend.skinnyTile = JSON.parse(process.env.CANDOR_SKINNY_TILE);
const model = await openModel(dir);
const engine = await Engine.load(backend, model);
await model.close();
console.error(`weights on the GPU after ${((performance.now() - started) / 1000).toFixed(1)} s`);
idLimit = Math.min(idLimit, engine.spec.vocabSize);
const noEos = { eosTokenIds: [] as number[] };
await engine.generate(batch(1, 16), { maxNewTokens: 1, ...noEos });
const firstToken = (performance.now() - started) / 1000;
console.error(`loaded and first token after ${firstToken.toFixed(1)}s on ${backend.description}`);

const STUDY_TRIALS = 200;
/** evaluation prompts of a trial (Heretic's 100 harmful and 100 harmless) */
const EVAL_PROMPTS = 100;
const [TRIALS_PER_BATCH, ...otherBatches] = (process.env.CANDOR_BENCH_TRIALS_PER_BATCH ?? '5')
  .split(',')
  .map(Number);
const batchRows = TRIALS_PER_BATCH * EVAL_PROMPTS;
const out: Record<string, number> = { load_first_token_s: firstToken };
// --load-only: the load-8b row alone (with llama8b.py --load-only as its peer)
const loadOnly = LOAD_ONLY_FLAG !== '';
if (!loadOnly) await benchmarks();
console.log(JSON.stringify(out, null, 1));

async function benchmarks(): Promise<void> {
  out.decode_b1_tok_s =
    64 / (await timed(() => engine.generate(batch(1, 16), { maxNewTokens: 64, ...noEos })));
  console.error(`decode b1 ${out.decode_b1_tok_s.toFixed(1)} tok/s`);
  out.decode_b64_tok_s =
    (64 * 64) /
    (await timed(() =>
      engine.generate(batch(64, 64), { maxNewTokens: 64, batchSize: 64, ...noEos }),
    ));
  console.error(`decode b64 ${out.decode_b64_tok_s.toFixed(1)} tok/s`);
  const prefill = batch(64, 128);
  out.prefill_b64_tok_s =
    (64 * 128) / (await timed(() => engine.nextTokenLogits(prefill, { batchSize: 64 }), 3));
  console.error(`prefill b64 ${out.prefill_b64_tok_s.toFixed(0)} tok/s`);

  // One Heretic trial: a full-normalisation plan on every writer, 100 x 100 greedy tokens, KL on 100 prompts.
  const C = engine.spec.hiddenSize;
  const direction = Float32Array.from({ length: C }, (_, i) => Math.sin(i + 1));
  const norm = Math.hypot(...direction);
  for (let i = 0; i < C; i++) direction[i] /= norm;
  /** a trial's plan; `scale` varies the weights between the trials that share a batch */
  const trialPlan = (scale: number): AblationPlan => ({
    normalization: 'full',
    embedding: null,
    layers: Array.from({ length: engine.spec.numLayers }, (_, l) => ({
      attn: { direction, weight: scale },
      mlp: l > 16 ? { direction, weight: 0.5 * scale } : null,
    })),
  });
  const harmful = batch(EVAL_PROMPTS, 32, 1000);
  const harmless = batch(EVAL_PROMPTS, 32, 2000);
  const baseline = await engine.nextTokenLogProbs(harmless, { batchSize: 100 });
  /**
   * k trials in one batch, as TrialEvaluator runs them: each trial's plan on its own copy of the
   * prompts (planOfPrompt where k > 1), so the linears see k × 100 rows
   */
  const trials = (k: number) => async () => {
    const repeat = <T>(a: T[]): T[] => Array.from({ length: k }, () => a).flat();
    const rows = k * EVAL_PROMPTS;
    const plans = Array.from({ length: k }, (_, t) => trialPlan(1 - 0.1 * t));
    const ablation = await compileAblation(backend, engine.weights, plans);
    const choice =
      k === 1
        ? { ablation }
        : {
            ablation,
            planOfPrompt: Array.from({ length: rows }, (_, i) => Math.floor(i / EVAL_PROMPTS)),
          };
    await engine.generate(repeat(harmful), {
      maxNewTokens: 100,
      batchSize: rows,
      ablation: choice,
      ...noEos,
    });
    await engine.klDivergence(repeat(harmless), repeat(baseline), {
      batchSize: rows,
      ablation: choice,
    });
    disposeAblation(backend, ablation);
  };
  const trial = trials(1);
  out.trial_s = await timed(trial);
  console.error(`trial ${out.trial_s.toFixed(2)} s`);
  // the high-water mark of the pooled buffers so far (the engine gives cached ones back after each call)
  const memoryOf = () => {
    const m = backend.memoryBytes();
    return (m.weights + m.peakPool) / 2 ** 30;
  };
  out.gpu_memory_gib = memoryOf();

  /** GPU time per kernel of one call */
  async function kernelTimes(fn: () => Promise<unknown>): Promise<KernelTime[]> {
    backend.startProfile();
    await fn();
    return backend.stopProfile();
  }
  /** GPU time per kernel of one call, beside its wall time (the gap: host work and waits). */
  async function profiled(what: string, fn: () => Promise<unknown>): Promise<void> {
    const start = performance.now();
    const kernels = await kernelTimes(fn);
    const wall = performance.now() - start;
    const gpu = kernels.reduce((sum, k) => sum + k.ms, 0);
    console.error(`profile of ${what}: wall ${wall.toFixed(1)} ms, GPU busy ${gpu.toFixed(1)} ms`);
    for (const k of kernels)
      console.error(
        `  ${k.label.padEnd(12)} ${k.ms.toFixed(1).padStart(9)} ms ${String(k.dispatches).padStart(7)} dispatches ${((1000 * k.ms) / k.dispatches).toFixed(1).padStart(8)} µs each`,
      );
  }
  // attention's block of positions (workgroup memory per workgroup, so workgroups per SM)
  if (process.argv.includes('--sweep-attention')) {
    for (const block of [16, 8, 4]) {
      backend.attentionBlock = block;
      for (const [what, fn] of [
        ['prefill b64', () => engine.nextTokenLogits(prefill, { batchSize: 64 })],
        [
          'decode b100',
          () => engine.generate(harmful, { maxNewTokens: 32, batchSize: 100, ...noEos }),
        ],
      ] as const) {
        await fn();
        const ms = (await kernelTimes(fn)).find((k) => k.label === 'attention')?.ms ?? 0;
        console.error(`attention block ${block}, ${what}: ${ms.toFixed(1)} ms`);
      }
    }
    backend.attentionBlock = ATTENTION_BLOCK_DEFAULT;
  }
  if (process.argv.includes('--profile')) {
    await profiled('one trial', trial);
    await profiled('prefill b64', () => engine.nextTokenLogits(prefill, { batchSize: 64 }));
    await profiled('decode b64', () =>
      engine.generate(batch(64, 64), { maxNewTokens: 64, batchSize: 64, ...noEos }),
    );
  }

  // k trials in one batch, as the study runs them on WebGPU (trials_per_batch auto: 5 for 100
  // prompts, as many as fit 512 rows); seconds per trial. The first of
  // CANDOR_BENCH_TRIALS_PER_BATCH (a list) is recorded.
  const batchedTrial = async (k: number): Promise<number> => {
    const seconds = (await timed(trials(k))) / k;
    console.error(
      `trial, ${k} per batch: ${seconds.toFixed(2)} s a trial, ${memoryOf().toFixed(1)} GiB`,
    );
    return seconds;
  };
  out.trial_batched_s = await batchedTrial(TRIALS_PER_BATCH);
  for (const k of otherBatches) await batchedTrial(k);

  // the direction pass of a run (src/run/auto-run.ts): residuals of 400 harmful and 400 harmless
  // prompts, means per layer, directions
  out.direction_s = await timed(() =>
    measureDirections(engine, batch(400, 32, 3000), batch(400, 32, 4000), {
      method: 'projected',
      winsorize: 0,
      sampleSize: 64,
      batchSize: 100,
      states: engine.spec.numLayers + 1,
      hiddenSize: C,
    }),
  );
  // its GPU part: the residual passes alone (the rest is means, directions and diagnostics on the CPU)
  const residualPass = async (offset: number) => {
    for (let b = 0; b < 400; b += 100) await engine.residuals(batch(100, 32, offset + b));
  };
  const residualSeconds = await timed(async () => {
    await residualPass(3000);
    await residualPass(4000);
  });
  console.error(
    `direction pass ${out.direction_s.toFixed(2)} s, of which residual passes ${residualSeconds.toFixed(2)} s`,
  );
  out.study_s = out.direction_s + STUDY_TRIALS * out.trial_batched_s;
}

const peer = JSON.parse(readFileSync(peerFile, 'utf8')) as Record<string, number | string>;
if (typeof peer.trial_s === 'number' && typeof peer.direction_s === 'number')
  peer.study_s = peer.direction_s + STUDY_TRIALS * peer.trial_s;
const device = `NVIDIA H100 80GB HBM3 (Candor: WebGPU/Vulkan, Dawn; peer: PyTorch ${peer.torch})`;
const row = (
  name: string,
  key: string,
  unit: string,
  higher: boolean,
  notes: string,
): BenchRow => ({
  name,
  device,
  date: RUN_DATE,
  command: COMMAND,
  candor: out[key],
  peer: typeof peer[key] === 'number' ? (peer[key] as number) : null,
  unit,
  higher_is_better: higher,
  notes,
});
const rows = [
  row(
    'decode-b1',
    'decode_b1_tok_s',
    'tokens/s',
    true,
    'Llama-3.1-8B shape, random weights; 64 new tokens after 16; peer: transformers generate() bf16 sdpa',
  ),
  row(
    'decode-b64',
    'decode_b64_tok_s',
    'tokens/s',
    true,
    '64 sequences, 64 new tokens after 64-token prompts; peer: transformers generate()',
  ),
  row(
    'prefill-b64',
    'prefill_b64_tok_s',
    'prompt tokens/s',
    true,
    '64 x 128 tokens, logits of the last position; peer: transformers forward',
  ),
  row(
    'trial-8b',
    'trial_s',
    's',
    false,
    'one Heretic trial: 100 prompts x 100 greedy tokens (no early exit) + next-token log-probs/KL on 100 prompts; Candor applies a full-normalisation plan at run time; peer: transformers generate() + forward, no adapter',
  ),
  {
    ...row(
      'trial-8b-batched',
      'trial_batched_s',
      's',
      false,
      `seconds a trial with ${TRIALS_PER_BATCH} trials in one batch (${TRIALS_PER_BATCH} plans, ${batchRows} rows: each plan on its own copy of the 100 prompts, planOfPrompt), same workload per trial as trial-8b; peer: transformers trial-8b (one trial a batch, as Heretic)`,
    ),
    peer: typeof peer.trial_s === 'number' ? peer.trial_s : null,
  },
  row(
    'study-8b-200',
    'study_s',
    's',
    false,
    `${STUDY_TRIALS}-trial study, extrapolated: measured direction pass (residuals of 400 harmful + 400 harmless 32-token prompts, batches of 100, means and directions) + ${STUDY_TRIALS} × trial-8b-batched (the study evaluates ${TRIALS_PER_BATCH} trials a batch on WebGPU); peer: transformers direction pass (hidden states of the same prompts, batches of 100) + ${STUDY_TRIALS} × its trial`,
  ),
  {
    ...row(
      'gpu-memory-8b',
      'gpu_memory_gib',
      'GiB',
      false,
      'Candor: weight and pooled activation buffers after one 100-row trial and the benchmarks before it (the 400-row batched trial adds its KV cache and activations, printed in the log); peer: torch.cuda.max_memory_allocated over all its benchmarks',
    ),
    peer: (peer.max_memory_allocated_gib as number) ?? null,
  },
  {
    ...row(
      'load-8b',
      'load_first_token_s',
      's',
      false,
      'start to the first generated token (4 safetensors shards on local disk, in the page cache); peer: transformers from_pretrained (bf16, device_map cuda) + generate of one token',
    ),
  },
];
if (record) recordResults(loadOnly ? rows.filter((r) => r.name === 'load-8b') : rows);
backend.destroy();

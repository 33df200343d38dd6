// What the model commands (directions, inspect, detect, evaluate, benchmark) share: their common
// options, settings resolved as `candor run` resolves them, and a model opened by name (local
// folder or Hub) with its tokenizer, backend and engine, each freed however the command ends.

import { Option } from '@commander-js/extra-typings';
import type { AblationPlan } from '../ablate/plan.js';
import { checkPlanFitsModel, readPlanFile } from '../ablate/plan-io.js';
import type { Backend } from '../backend/backend.js';
import { BACKEND_CHOICES, type BackendChoice, selectBackend } from '../backend/select.js';
import { type RunSettings, resolveSettings } from '../config/settings.js';
import { Engine } from '../engine/engine.js';
import { type OpenModel, openModel } from '../model/open.js';
import type { ModelSpec } from '../model/spec.js';
import { resolveModelDir } from '../run/model-source.js';
import { loadPromptList, PromptEncoder } from '../run/prompts.js';
import { type ChatTokenizer, loadTokenizer } from '../tokenize/tokenizer.js';
import { wholeNumber } from './parse.js';

/** Progress and notes go to stderr, one line each; stdout is the command's result. */
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export const backendOption = (help = 'where the model runs') =>
  new Option('--backend <name>', help).choices(BACKEND_CHOICES);

/** `min` 0 lets 0 mean "automatic" where the command reads it so. */
export const batchSizeOption = (
  help = 'prompts run at once (default: chosen from memory)',
  min = 1,
) => new Option('--batch-size <n>', help).argParser(wholeNumber('--batch-size', min));

export const configOption = () =>
  new Option('--config <file>', 'settings file (default: ./candor.toml if present)');

export const systemPromptOption = (help = 'system prompt of every conversation') =>
  new Option('--system-prompt <text>', help);

export const maxNewTokensOption = () =>
  new Option(
    '--max-new-tokens <n>',
    'most tokens per response (default: the run setting max_response_tokens, 100)',
  ).argParser(wholeNumber('--max-new-tokens', 1));

export const harmfulPromptsOption = () =>
  new Option('--harmful <spec>', 'harmful prompt set (default: the run setting harmful_prompts)');

export const harmlessPromptsOption = () =>
  new Option(
    '--harmless <spec>',
    'harmless prompt set (default: the run setting harmless_prompts)',
  );

/** The settings that the prompt-set, system-prompt, backend and batch-size options give. */
export function directionFlags(opts: {
  harmful?: string;
  harmless?: string;
  systemPrompt?: string;
  backend?: BackendChoice;
  batchSize?: number;
}): Record<string, unknown> {
  return {
    harmful_prompts: opts.harmful,
    harmless_prompts: opts.harmless,
    system_prompt: opts.systemPrompt,
    backend: opts.backend,
    batch_size: opts.batchSize,
  };
}

/** The run's settings with the command's flags on top, so a command sees what the run would. */
export function commandSettings(
  configPath: string | undefined,
  flags: Record<string, unknown>,
): RunSettings {
  return resolveSettings({ configPath: configPath ?? null, env: process.env, flags });
}

export interface OpenedModel {
  /** the model as the user named it */
  name: string;
  model: OpenModel;
  tokenizer: ChatTokenizer;
}

/** The model's folder (downloaded when a Hub id), its weights read lazily, and its tokenizer. */
export async function openNamedModel(
  name: string,
  s: Pick<RunSettings, 'token' | 'revision'>,
): Promise<OpenedModel> {
  const source = await resolveModelDir(name, s);
  const model = await openModel(source.dir);
  try {
    return { name, model, tokenizer: await loadTokenizer(source.dir) };
  } catch (e) {
    await model.close();
    throw e;
  }
}

/** The run's direction prompt sets (harmful, harmless), chat-encoded as the run encodes them. */
export async function directionPrompts(
  s: Pick<RunSettings, 'harmful_prompts' | 'harmless_prompts' | 'system_prompt'>,
  tokenizer: ChatTokenizer,
): Promise<{ harmful: number[][]; harmless: number[][] }> {
  const [harmful, harmless] = await Promise.all([
    loadPromptList(s.harmful_prompts),
    loadPromptList(s.harmless_prompts),
  ]);
  log(
    `${harmful.length} harmful (${s.harmful_prompts}), ${harmless.length} harmless (${s.harmless_prompts}) prompts`,
  );
  const encoder = new PromptEncoder(tokenizer, s.system_prompt, '');
  return { harmful: encoder.encode(harmful), harmless: encoder.encode(harmless) };
}

/** Residual rows held at once per set when --batch-size is left at 0 (automatic). */
const RESIDUAL_CHUNK = 32;

/** Prompts per residual batch for `directions` and `inspect`: the setting, or a fixed chunk at 0. */
export function residualBatchSize(s: Pick<RunSettings, 'batch_size'>): number {
  return s.batch_size > 0 ? s.batch_size : RESIDUAL_CHUNK;
}

/** The plan file, checked against the model before any weight is loaded. */
export async function readPlanFor(path: string, spec: ModelSpec): Promise<AblationPlan> {
  const { plan } = await readPlanFile(path);
  checkPlanFitsModel(plan, spec.numLayers, spec.hiddenSize, path);
  return plan;
}

/** The backend for `choice` (named on stderr) while `use` runs. */
export async function withBackend<T>(
  choice: BackendChoice,
  use: (backend: Backend) => Promise<T>,
): Promise<T> {
  const backend = await selectBackend(choice, log);
  try {
    return await use(backend);
  } finally {
    backend.destroy();
  }
}

/** Loads the model's weights on `backend`, runs `use`, and frees the weights again. */
export async function withEngine<T>(
  backend: Backend,
  opened: OpenedModel,
  use: (engine: Engine) => Promise<T>,
): Promise<T> {
  const engine = await Engine.load(backend, opened.model);
  try {
    return await use(engine);
  } finally {
    engine.dispose();
  }
}

/** The opened model while `use` runs; its files are closed afterwards. */
export async function withNamedModel<T>(
  name: string,
  s: Pick<RunSettings, 'token' | 'revision'>,
  use: (opened: OpenedModel) => Promise<T>,
): Promise<T> {
  const opened = await openNamedModel(name, s);
  try {
    return await use(opened);
  } finally {
    await opened.model.close();
  }
}

/** The whole sequence: model and tokenizer, backend, and the weights loaded on it. */
export function withModelEngine<T>(
  name: string,
  s: Pick<RunSettings, 'token' | 'revision' | 'backend'>,
  use: (opened: OpenedModel, engine: Engine) => Promise<T>,
): Promise<T> {
  return withNamedModel(name, s, (opened) =>
    withBackend(s.backend, (backend) =>
      withEngine(backend, opened, (engine) => use(opened, engine)),
    ),
  );
}

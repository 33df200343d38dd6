// Every setting of `candor run`, declared once: its type, default, help text, flag and
// environment variable. The flags, `--help`, candor.toml's comments and validation derive from
// this table, so they cannot drift apart.

import { HERETIC_REFUSAL_MARKERS } from '../judge/markers.js';

export type SettingType =
  | { kind: 'string' }
  /** `auto`: the string "auto" is accepted too, resolved by the run (e.g. per backend) */
  | { kind: 'int'; min?: number; max?: number; auto?: boolean }
  | { kind: 'float'; min?: number; max?: number }
  | { kind: 'bool' }
  | { kind: 'enum'; choices: readonly string[] }
  | { kind: 'strings' };

export interface Setting {
  key: string;
  type: SettingType;
  default: string | number | boolean | string[] | null;
  help: string;
  /** section in candor.toml */
  section: 'model' | 'prompts' | 'directions' | 'search' | 'judge' | 'output' | 'ui';
}

export const SETTINGS: readonly Setting[] = [
  // model
  {
    key: 'backend',
    section: 'model',
    type: { kind: 'enum', choices: ['auto', 'cpu', 'webgpu'] },
    default: 'auto',
    help: 'compute backend: auto picks WebGPU when an adapter exists, else the CPU',
  },
  {
    key: 'batch_size',
    section: 'model',
    type: { kind: 'int', min: 0 },
    default: 0,
    help: 'prompts per batch; 0 benchmarks batch sizes on the device and picks the fastest',
  },
  {
    key: 'max_batch_size',
    section: 'model',
    type: { kind: 'int', min: 1 },
    // above Heretic's 128: with several trials a batch, a GPU keeps gaining up to trials × prompts rows
    default: 512,
    help: 'largest batch size the benchmark tries (it never tries more rows than a trial batch has)',
  },
  {
    key: 'token',
    section: 'model',
    type: { kind: 'string' },
    default: null,
    help: 'Hugging Face token for gated models (else HF_TOKEN)',
  },
  {
    key: 'revision',
    section: 'model',
    type: { kind: 'string' },
    default: 'main',
    help: 'model revision (branch, tag or commit) on the Hub',
  },
  // prompts
  {
    key: 'profile',
    section: 'prompts',
    type: { kind: 'string' },
    default: 'censorship',
    help: 'behaviour profile (built-in name or .toml file) supplying prompt sets, judge and response length; see `candor profiles`',
  },
  {
    key: 'harmful_prompts',
    section: 'prompts',
    type: { kind: 'string' },
    default: 'censored-topics:train',
    help: 'prompts whose answers are refused, for the refusal directions',
  },
  {
    key: 'harmless_prompts',
    section: 'prompts',
    type: { kind: 'string' },
    default: 'harmless:train',
    help: 'prompts answered normally, for the refusal directions',
  },
  {
    key: 'harmful_eval',
    section: 'prompts',
    type: { kind: 'string' },
    default: 'censored-topics:eval',
    help: 'prompts on which refusals are counted in each trial',
  },
  {
    key: 'harmless_eval',
    section: 'prompts',
    type: { kind: 'string' },
    default: 'harmless:eval',
    help: 'prompts on which KL divergence to the original is measured',
  },
  {
    key: 'system_prompt',
    section: 'prompts',
    type: { kind: 'string' },
    default: 'You are a helpful assistant.',
    help: 'system prompt of every conversation',
  },
  // directions
  {
    key: 'direction_method',
    section: 'directions',
    type: { kind: 'enum', choices: ['plain', 'projected'] },
    default: 'projected',
    help: 'difference of means, or with the harmless-mean component removed (projected abliteration)',
  },
  {
    key: 'winsorize',
    section: 'directions',
    type: { kind: 'float', min: 0, max: 1 },
    default: 0,
    help: 'clip residual components at this quantile of their magnitudes before the means; 0 turns it off',
  },
  // search
  {
    key: 'trials',
    section: 'search',
    type: { kind: 'int', min: 1 },
    default: 200,
    help: 'optimisation trials',
  },
  {
    key: 'trials_per_batch',
    section: 'search',
    type: { kind: 'int', min: 1, auto: true },
    default: 'auto',
    help: 'trials evaluated together in one engine batch, each on its own copy of the evaluation prompts (faster on a GPU); auto: 1 on the CPU; on WebGPU as many as fit max_batch_size rows (5 for 100 prompts), at most 8. A seed proposes the same trials only with the same value',
  },
  {
    key: 'startup_trials',
    section: 'search',
    type: { kind: 'int', min: 0 },
    default: 60,
    help: 'random trials before TPE takes over',
  },
  {
    key: 'seed',
    section: 'search',
    type: { kind: 'int', min: 0 },
    default: null,
    help: 'seed of the search; the same seed proposes the same trials',
  },
  {
    key: 'kernel',
    section: 'search',
    type: { kind: 'enum', choices: ['heretic', 'gaussian'] },
    default: 'heretic',
    help: "layer kernel searched: Heretic's linear kernel or the Gaussian kernel over depth",
  },
  {
    key: 'search_space',
    section: 'search',
    type: { kind: 'enum', choices: ['heretic', 'wide'] },
    default: 'heretic',
    help: "Heretic's ranges (direction and kernel peak in the upper 40-90 % of the depth), or wide: both over the whole depth (contains Heretic's)",
  },
  {
    key: 'normalization',
    section: 'search',
    type: { kind: 'enum', choices: ['none', 'pre', 'full'] },
    default: 'full',
    help: 'row normalisation of the ablated matrices (as Heretic)',
  },
  {
    key: 'ablate_embedding',
    section: 'search',
    type: { kind: 'bool' },
    default: false,
    help: 'also search an edit of the embedding output (an extension beyond Heretic)',
  },
  {
    key: 'storage',
    section: 'search',
    type: { kind: 'string' },
    default: null,
    help: 'study store: a SQLite file path or postgresql://…; default <output>.study.sqlite',
  },
  {
    key: 'study',
    section: 'search',
    type: { kind: 'string' },
    default: null,
    help: 'study name inside the store; default derived from the model',
  },
  // judge
  {
    key: 'max_response_tokens',
    section: 'judge',
    type: { kind: 'int', min: 1 },
    default: 100,
    help: 'new tokens generated per harmful prompt when counting refusals',
  },
  {
    key: 'early_exit',
    section: 'judge',
    type: { kind: 'bool' },
    default: true,
    help: 'stop a response as soon as its refusal verdict cannot change',
  },
  {
    key: 'refusal_markers',
    section: 'judge',
    type: { kind: 'strings' },
    default: [...HERETIC_REFUSAL_MARKERS],
    help: "a response containing any of these (normalised, lower case) is a refusal; Heretic's list",
  },
  // output
  {
    key: 'output',
    section: 'output',
    type: { kind: 'string' },
    default: null,
    help: 'folder for the saved model; default ./<model name>-candor',
  },
  {
    key: 'select',
    section: 'output',
    type: { kind: 'string' },
    default: null,
    help: "trial to save without asking: 'best' or a trial number",
  },
  {
    key: 'max_kl',
    section: 'output',
    type: { kind: 'float', min: 0 },
    default: 0.5,
    help: "'best' is the Pareto trial with the fewest refusals among those with KL at most this",
  },
  {
    key: 'save_format',
    section: 'output',
    type: { kind: 'enum', choices: ['model', 'lora'] },
    default: 'model',
    help: 'save the merged model, or a LoRA adapter for the original',
  },
  {
    key: 'lora_rank',
    section: 'output',
    type: { kind: 'int', min: 1 },
    default: 3,
    help: 'rank of the LoRA adapter for normalisation full (none and pre are exact at rank 1)',
  },
  {
    key: 'upload',
    section: 'output',
    type: { kind: 'string' },
    default: null,
    help: 'Hugging Face repo id to upload the saved model to',
  },
  {
    key: 'force',
    section: 'output',
    type: { kind: 'bool' },
    default: false,
    help: 'overwrite an existing output folder',
  },
  // ui
  {
    key: 'yes',
    section: 'ui',
    type: { kind: 'bool' },
    default: false,
    help: 'answer every question with its default (scripts, CI)',
  },
  {
    key: 'dashboard',
    section: 'ui',
    type: { kind: 'bool' },
    default: false,
    help: 'serve the live dashboard on localhost',
  },
  {
    key: 'dashboard_port',
    section: 'ui',
    type: { kind: 'int', min: 0, max: 65535 },
    default: 7860,
    help: 'port of the dashboard (0: any free port)',
  },
];

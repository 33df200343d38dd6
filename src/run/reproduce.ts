// reproduce.json: what a saved model was made from (Candor version, model files, prompt sets,
// settings, chosen trial, backend, platform), written beside the model files at every save with
// the directions used (directions.json). `candor reproduce` bakes the recorded trial again from
// the recorded model + directions into a temporary folder, compares every tensor's sha256 with
// the original export's, measures how far differing tensors moved (reading the original's), and
// grades every recorded input that differs now by how much it matters (reproduce-inputs.ts).
// It re-runs the bake, not the search: the directions file stands in for the residual pass.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { SeparationRow } from '../ablate/diagnostics.js';
import type { DirectionsJson } from '../ablate/directions-report.js';
import type { RunSettings } from '../config/settings.js';
import { exportHfFolder } from '../export/hf-folder.js';
import { exportLoraAdapter } from '../export/lora-adapter.js';
import { openSafetensors, type SafetensorsFile } from '../model/safetensors.js';
import type { Params } from '../optimize/space.js';
import { type Profile, type PromptSetKey, profilePath } from '../profile/profile.js';
import { loadPromptSet, type PromptSetRecord, promptTextsSha256 } from '../profile/prompts.js';
import { type ModelSource, resolveModelDir } from './model-source.js';
import { exportFolderOf, localExport, type OriginalExport } from './original-export.js';
import { gradeInputs, type InputDifference, type PresentInputs } from './reproduce-inputs.js';
import { type TensorDifference, tensorDifference } from './tensor-diff.js';
import { type KernelKind, type ResidualMeans, trialPlan } from './trial-plan.js';

export const REPRODUCE_FILE = 'reproduce.json';
export const DIRECTIONS_FILE = 'directions.json';

/** Candor's version, from package.json (src/run and dist/run alike sit two levels below it). */
export const CANDOR_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** What the run knows at save time beyond the trial: profile, prompt sets, directions. */
export interface ReproductionInputs {
  profile: Profile;
  promptSets: Record<PromptSetKey, PromptSetRecord>;
  directions: readonly Float32Array[];
  means: ResidualMeans;
  separation: SeparationRow[];
  directionPrompts: { harmful: number; harmless: number };
}

/** tensor name → sha256 of its raw bytes, per safetensors file of the export */
export type TensorHashes = Record<string, Record<string, string>>;

export interface ReproduceJson {
  format: 'candor-reproduce';
  version: 1;
  candor: string;
  node: string;
  platform: string;
  created: string;
  model: {
    /** Hub id, or the absolute folder of a local model */
    id: string;
    on_hub: boolean;
    commit: string | null;
    /** sha256 of every file of the model folder (weights, config, tokenizer) */
    files: Record<string, string>;
  };
  profile: { name: string; description: string; sha256: string };
  prompt_sets: Record<PromptSetKey, PromptSetRecord>;
  /** every run setting except the token */
  settings: Record<string, unknown>;
  settings_sha256: string;
  trial: { number: number; params: Params; values: number[] | null };
  /** absent in records written before it was added */
  trial_sha256?: string;
  backend: { name: string; description: string };
  directions: { file: string; sha256: string };
  export: { format: 'model' | 'lora'; tensors: TensorHashes };
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** JSON with object keys sorted, so equal values hash equally. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** sha256 of every regular top-level file of a folder (dot files skipped), by name. */
export async function folderSha256s(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if ((await stat(path)).isFile()) out[name] = await fileSha256(path);
  }
  return out;
}

/** sha256 of every tensor's raw bytes in one safetensors file, read straight from its layout. */
export async function tensorSha256s(path: string): Promise<Record<string, string>> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(8);
    await handle.read(head, 0, 8, 0);
    const n = Number(head.readBigUInt64LE(0));
    const json = Buffer.alloc(n);
    await handle.read(json, 0, n, 8);
    const header = JSON.parse(json.toString('utf8')) as Record<
      string,
      { data_offsets?: [number, number] }
    >;
    const out: Record<string, string> = {};
    const chunk = Buffer.alloc(1 << 24);
    for (const name of Object.keys(header).sort()) {
      const offsets = header[name].data_offsets;
      if (name === '__metadata__' || !offsets) continue;
      const hash = createHash('sha256');
      for (let at = offsets[0]; at < offsets[1]; ) {
        const len = Math.min(chunk.length, offsets[1] - at);
        const { bytesRead } = await handle.read(chunk, 0, len, 8 + n + at);
        if (bytesRead === 0) throw new Error(`${path}: tensor '${name}' is cut short`);
        hash.update(chunk.subarray(0, bytesRead));
        at += bytesRead;
      }
      out[name] = hash.digest('hex');
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** Tensor hashes of every safetensors file of an export folder. */
export async function exportTensorHashes(dir: string): Promise<TensorHashes> {
  const out: TensorHashes = {};
  for (const name of (await readdir(dir)).sort()) {
    if (name.endsWith('.safetensors')) out[name] = await tensorSha256s(join(dir, name));
  }
  return out;
}

function settingsRecord(s: RunSettings): Record<string, unknown> {
  const { token: _token, ...rest } = s;
  return rest;
}

export interface SaveRecord {
  output: string;
  settings: RunSettings;
  source: ModelSource;
  trial: { number: number; params: Params; values: number[] | null };
  backend: { name: string; description: string };
  inputs: ReproductionInputs;
}

/** Writes directions.json and reproduce.json into a saved model or adapter folder. */
export async function writeReproduction(r: SaveRecord): Promise<string> {
  const { inputs, settings: s } = r;
  const directionsJson: DirectionsJson = {
    format: 'candor-directions',
    version: 1,
    model: r.source.name,
    method: s.direction_method,
    winsorize: s.winsorize,
    hiddenSize: inputs.directions[0]?.length ?? 0,
    prompts: inputs.directionPrompts,
    directions: inputs.directions.map((d) => Array.from(d)),
    harmfulMeans: inputs.means.harmful.map((m) => Array.from(m)),
    harmlessMeans: inputs.means.harmless.map((m) => Array.from(m)),
    diagnostics: inputs.separation,
  };
  const directionsPath = join(r.output, DIRECTIONS_FILE);
  await writeFile(directionsPath, `${JSON.stringify(directionsJson)}\n`);
  const settings = settingsRecord(s);
  const record: ReproduceJson = {
    format: 'candor-reproduce',
    version: 1,
    candor: CANDOR_VERSION,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    created: new Date().toISOString(),
    model: {
      id: r.source.onHub ? r.source.name : r.source.dir,
      on_hub: r.source.onHub,
      commit: r.source.commit,
      files: await folderSha256s(r.source.dir),
    },
    profile: {
      name: inputs.profile.name,
      description: inputs.profile.description,
      sha256: await fileSha256(inputs.profile.path),
    },
    prompt_sets: inputs.promptSets,
    settings,
    settings_sha256: sha256(canonicalJson(settings)),
    trial: r.trial,
    trial_sha256: sha256(canonicalJson(r.trial)),
    backend: r.backend,
    directions: { file: DIRECTIONS_FILE, sha256: await fileSha256(directionsPath) },
    export: { format: s.save_format, tensors: await exportTensorHashes(r.output) },
  };
  const path = join(r.output, REPRODUCE_FILE);
  await writeFile(path, `${JSON.stringify(record, null, 1)}\n`);
  return path;
}

function readJson<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new Error(`${path}: cannot read ${what}: ${(err as Error).message.split('\n')[0]}`);
  }
}

export interface ReproduceOptions {
  /** model folder to use instead of the recorded one (e.g. on another machine) */
  model?: string;
  token?: string;
  /** where the original export lies; default: beside reproduce.json (or above reproduce/) */
  original?: OriginalExport;
  /** bytes of differing original tensors to read for measuring them; default unlimited */
  measureBytes?: number;
  log?: (line: string) => void;
}

export interface TensorComparison {
  file: string;
  tensor: string;
  identical: boolean;
  /** for a differing tensor: how far it moved, or why that was not measured */
  difference?: TensorDifference | { unmeasured: string };
}

export interface ReproduceReport {
  tensors: TensorComparison[];
  /** recorded inputs and environment that differ now, most important first */
  differences: InputDifference[];
  /** recorded inputs that could not be checked now, each with the reason */
  unchecked: string[];
  identical: boolean;
}

/** The present state of everything reproduce.json records, and what could not be checked. */
async function presentInputs(
  record: ReproduceJson,
  modelDir: string,
  directionsPath: string,
): Promise<{ present: PresentInputs; unchecked: string[] }> {
  const unchecked: string[] = [];
  const promptSets: PresentInputs['promptSets'] = {};
  for (const [key, set] of Object.entries(record.prompt_sets) as [
    PromptSetKey,
    PromptSetRecord,
  ][]) {
    try {
      const prompts = await loadPromptSet(set.spec, { prefix: set.prefix, suffix: set.suffix });
      promptSets[key] = promptTextsSha256(prompts.map((p) => p.text));
    } catch (err) {
      unchecked.push(`prompt set ${key} (${set.spec}): ${(err as Error).message.split('\n')[0]}`);
    }
  }
  let profileSha256: string | null = null;
  const profile = String(record.settings.profile ?? record.profile.name);
  try {
    profileSha256 = await fileSha256(profilePath(profile));
  } catch (err) {
    unchecked.push(`profile ${profile}: ${(err as Error).message.split('\n')[0]}`);
  }
  return {
    present: {
      candor: CANDOR_VERSION,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      backend: 'cpu',
      modelFiles: await folderSha256s(modelDir),
      directionsSha256: await fileSha256(directionsPath),
      settingsSha256: sha256(canonicalJson(record.settings)),
      trialSha256: sha256(canonicalJson(record.trial)),
      promptSets,
      profileSha256,
    },
    unchecked,
  };
}

/** Compares every recorded tensor hash with the new bake's. */
function compareHashes(recorded: TensorHashes, now: TensorHashes): TensorComparison[] {
  const out: TensorComparison[] = [];
  for (const file of [...new Set([...Object.keys(recorded), ...Object.keys(now)])].sort()) {
    const before = recorded[file] ?? {};
    const after = now[file] ?? {};
    for (const tensor of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      const identical = before[tensor] !== undefined && before[tensor] === after[tensor];
      out.push({ file, tensor, identical });
    }
  }
  return out;
}

/**
 * Reads both versions of every differing tensor and records how far it moved, until
 * `budget` bytes of the original have been read; the rest say why they were not measured.
 */
async function measureDifferences(
  tensors: TensorComparison[],
  original: OriginalExport,
  bakedDir: string,
  budget: number,
): Promise<void> {
  let spent = 0;
  const differing = tensors.filter((t) => !t.identical);
  for (const file of [...new Set(differing.map((t) => t.file))]) {
    let before: SafetensorsFile | string;
    try {
      before = await original.open(file);
    } catch (err) {
      before = (err as Error).message.split('\n')[0];
    }
    const bakedPath = join(bakedDir, file);
    const baked = existsSync(bakedPath) ? await openSafetensors(bakedPath) : null;
    try {
      for (const t of differing.filter((d) => d.file === file)) {
        if (typeof before === 'string') {
          t.difference = { unmeasured: before };
          continue;
        }
        const info = before.tensors.get(t.tensor);
        if (!info) {
          t.difference = { unmeasured: `not in the original export at ${original.location}` };
        } else if (!baked?.tensors.has(t.tensor)) {
          t.difference = { unmeasured: 'not in the new bake' };
        } else if (spent + (info.end - info.begin) > budget) {
          t.difference = { unmeasured: 'over the --measure limit' };
        } else {
          spent += info.end - info.begin;
          try {
            const d = tensorDifference(
              t.tensor,
              await before.read(t.tensor),
              await baked.read(t.tensor),
            );
            t.difference = typeof d === 'string' ? { unmeasured: d } : d;
          } catch (err) {
            t.difference = { unmeasured: (err as Error).message.split('\n')[0] };
          }
        }
      }
    } finally {
      if (typeof before !== 'string') await before.close();
      await baked?.close();
    }
  }
}

/** Re-bakes the recorded trial, compares every tensor with the recorded export, grades inputs. */
export async function reproduce(
  file: string,
  opts: ReproduceOptions = {},
): Promise<ReproduceReport> {
  const log = opts.log ?? (() => {});
  const record = readJson<ReproduceJson>(file, 'the reproduction record');
  if (record.format !== 'candor-reproduce' || record.version !== 1) {
    throw new Error(`${file}: not a candor reproduce.json (format ${String(record.format)})`);
  }
  const folder = dirname(resolve(file));
  const directionsPath = join(folder, record.directions.file);
  const directions = readJson<DirectionsJson>(directionsPath, 'the directions');
  const source = await resolveModelDir(opts.model ?? record.model.id, {
    token: opts.token ?? null,
    revision: record.model.commit ?? 'main',
  });
  const { present, unchecked } = await presentInputs(record, source.dir, directionsPath);

  const s = record.settings as unknown as RunSettings;
  const plan = trialPlan(
    s.kernel as KernelKind,
    record.trial.params,
    directions.directions.map((d) => Float32Array.from(d)),
    {
      harmful: directions.harmfulMeans.map((m) => Float64Array.from(m)),
      harmless: directions.harmlessMeans.map((m) => Float64Array.from(m)),
    },
    s.normalization,
  );
  const temp = await mkdtemp(join(tmpdir(), 'candor-reproduce-'));
  try {
    const output = join(temp, 'export');
    const common = {
      modelDir: source.dir,
      plan,
      output,
      force: false,
      sourceModel: record.model.id,
      sourceOnHub: record.model.on_hub,
      log,
    };
    log(`baking trial ${record.trial.number} into ${output}`);
    if (record.export.format === 'lora') {
      await exportLoraAdapter({ ...common, rank: s.lora_rank, seed: s.seed ?? 0 });
    } else {
      await exportHfFolder(common);
    }
    const tensors = compareHashes(record.export.tensors, await exportTensorHashes(output));
    const identical = tensors.every((t) => t.identical);
    const budget = opts.measureBytes ?? Number.POSITIVE_INFINITY;
    if (!identical && budget > 0) {
      const original = opts.original ?? localExport(exportFolderOf(folder));
      log(`measuring the differing tensors against the original in ${original.location}`);
      await measureDifferences(tensors, original, output, budget);
    }
    return { tensors, differences: gradeInputs(record, present), unchecked, identical };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

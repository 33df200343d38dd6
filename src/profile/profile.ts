// Behaviour profiles: one TOML file bundling what removing a behaviour needs — the two
// contrasting direction prompt sets, the evaluation sets, system prompt, response length and the
// judge's marker list. A profile supplies defaults: defaults < profile < candor.toml < env < flags.
// Built-in profiles live in data/profiles/<name>.toml; docs/profiles.md describes every key.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { SETTINGS } from '../config/schema.js';
import {
  coerce,
  envName,
  type RunSettings,
  readTomlSettings,
  resolveSettings,
  type SettingSources,
} from '../config/settings.js';
import type { PromptSetSpec } from '../data/prompts.js';
import { type ObjectiveSpec, parseObjectiveSpecs } from '../objectives/spec.js';

/** Folder of the built-in profiles, from src/profile or dist/profile alike. */
export const BUILTIN_PROFILES_DIR = fileURLToPath(new URL('../../data/profiles/', import.meta.url));

/** The profile used when none is named. */
export const DEFAULT_PROFILE = 'censorship';

/** The run settings holding the four prompt sets, and where each sits in a profile. */
export const PROMPT_SET_KEYS = {
  harmful_prompts: ['directions', 'behaviour'],
  harmless_prompts: ['directions', 'baseline'],
  harmful_eval: ['evaluation', 'behaviour'],
  harmless_eval: ['evaluation', 'baseline'],
} as const;
export type PromptSetKey = keyof typeof PROMPT_SET_KEYS;

/** Run settings with the profile's name (the `profile` setting of the schema). */
export type ProfiledSettings = RunSettings & { profile: string };

export interface Profile {
  /** built-in name, or the file name without .toml */
  name: string;
  /** the TOML file it was read from */
  path: string;
  description: string;
  /** run-setting values the profile supplies, already checked against the schema */
  settings: Record<string, unknown>;
  /** text put before / after every prompt of a set, whichever spec the set ends up with */
  affixes: Partial<Record<PromptSetKey, { prefix?: string; suffix?: string }>>;
  /** the `[[objectives]]` tables; null: the default pair (refusals, kl) */
  objectives: ObjectiveSpec[] | null;
}

const SET_FIELDS = ['source', 'split', 'column', 'prefix', 'suffix'] as const;
const TOP_KEYS = [
  'description',
  'system_prompt',
  'directions',
  'evaluation',
  'judge',
  'objectives',
  'settings',
];
const JUDGE_KEYS: Record<string, string> = {
  markers: 'refusal_markers',
  max_response_tokens: 'max_response_tokens',
};
/** settings a profile may not carry: secrets and the profile choice itself */
const NOT_IN_PROFILE = new Set(['profile', 'token']);

export function builtinProfileNames(): string[] {
  try {
    return readdirSync(BUILTIN_PROFILES_DIR)
      .filter((f) => f.endsWith('.toml'))
      .map((f) => f.slice(0, -'.toml'.length))
      .sort();
  } catch {
    return [];
  }
}

/** The file a profile name or path refers to; a built-in name wins over a file of that name. */
export function profilePath(nameOrFile: string): string {
  if (/^[\w-]+$/.test(nameOrFile) && builtinProfileNames().includes(nameOrFile)) {
    return join(BUILTIN_PROFILES_DIR, `${nameOrFile}.toml`);
  }
  if (existsSync(nameOrFile)) return resolve(nameOrFile);
  throw new Error(
    `${nameOrFile}: profile not found (built in: ${builtinProfileNames().join(', ')}; or a .toml file)`,
  );
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function specString(spec: PromptSetSpec): string {
  const split = spec.split ?? '';
  return spec.column
    ? `${spec.source}:${split}:${spec.column}`
    : split
      ? `${spec.source}:${split}`
      : spec.source;
}

/** A local source written as ./x or ../x is relative to the profile file. */
function sourceFromProfile(source: string, profileFile: string): string {
  if (/^\.\.?[/\\]/.test(source)) return resolve(dirname(profileFile), source);
  return source;
}

function promptSet(
  raw: unknown,
  where: string,
  file: string,
): { spec: string; prefix?: string; suffix?: string } {
  if (typeof raw === 'string') return { spec: sourceFromProfile(raw, file) };
  if (!isTable(raw)) {
    throw new Error(
      `${file}: ${where} must be a prompt-set spec string or a table, got ${JSON.stringify(raw)}`,
    );
  }
  for (const [k, v] of Object.entries(raw)) {
    if (!(SET_FIELDS as readonly string[]).includes(k)) {
      throw new Error(
        `${file}: unknown key '${where}.${k}' (a prompt set has ${SET_FIELDS.join(', ')})`,
      );
    }
    if (typeof v !== 'string') {
      throw new Error(`${file}: ${where}.${k} must be a string, got ${JSON.stringify(v)}`);
    }
  }
  const t = raw as Partial<Record<(typeof SET_FIELDS)[number], string>>;
  if (!t.source) throw new Error(`${file}: ${where}.source is missing`);
  return {
    spec: specString({
      source: sourceFromProfile(t.source, file),
      ...(t.split ? { split: t.split } : {}),
      ...(t.column ? { column: t.column } : {}),
    }),
    ...(t.prefix ? { prefix: t.prefix } : {}),
    ...(t.suffix ? { suffix: t.suffix } : {}),
  };
}

function setting(key: string) {
  const s = SETTINGS.find((x) => x.key === key);
  if (!s) throw new Error(`no run setting '${key}'`);
  return s;
}

/** Checks one value against its run setting; the error names the file and the profile key. */
function checked(file: string, where: string, key: string, raw: unknown): unknown {
  try {
    return coerce(setting(key), raw, file);
  } catch (err) {
    const reason = (err as Error).message.replace(`${file}: ${key} `, '');
    throw new Error(`${file}: ${where} ${reason}`);
  }
}

/** Parses and validates a profile's TOML text; every error is one line naming the file and key. */
export function parseProfile(text: string, file: string, name: string): Profile {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  for (const key of Object.keys(doc)) {
    if (!TOP_KEYS.includes(key)) {
      throw new Error(`${file}: unknown key '${key}' (a profile has ${TOP_KEYS.join(', ')})`);
    }
  }
  if (typeof doc.description !== 'string' || doc.description.trim() === '') {
    throw new Error(`${file}: description must be a one-line string`);
  }
  const settings: Record<string, unknown> = {};
  const affixes: Profile['affixes'] = {};
  if (doc.system_prompt !== undefined) {
    settings.system_prompt = checked(file, 'system_prompt', 'system_prompt', doc.system_prompt);
  }
  for (const table of ['directions', 'evaluation'] as const) {
    const value = doc[table];
    if (value === undefined) continue;
    if (!isTable(value)) throw new Error(`${file}: ${table} must be a table`);
    for (const key of Object.keys(value)) {
      if (key !== 'behaviour' && key !== 'baseline') {
        throw new Error(`${file}: unknown key '${table}.${key}' (expected behaviour, baseline)`);
      }
    }
  }
  for (const [key, [table, role]] of Object.entries(PROMPT_SET_KEYS) as [
    PromptSetKey,
    readonly [string, string],
  ][]) {
    const raw = (doc[table] as Record<string, unknown> | undefined)?.[role];
    if (raw === undefined) continue;
    const set = promptSet(raw, `${table}.${role}`, file);
    settings[key] = set.spec;
    if (set.prefix !== undefined || set.suffix !== undefined) {
      affixes[key] = {
        ...(set.prefix !== undefined ? { prefix: set.prefix } : {}),
        ...(set.suffix !== undefined ? { suffix: set.suffix } : {}),
      };
    }
  }
  if (doc.judge !== undefined) {
    if (!isTable(doc.judge)) throw new Error(`${file}: judge must be a table`);
    for (const [k, v] of Object.entries(doc.judge)) {
      const target = JUDGE_KEYS[k];
      if (!target) {
        throw new Error(
          `${file}: unknown key 'judge.${k}' (expected ${Object.keys(JUDGE_KEYS).join(', ')})`,
        );
      }
      if (k === 'markers' && !(Array.isArray(v) && v.every((m) => typeof m === 'string'))) {
        throw new Error(
          `${file}: judge.markers must be a list of strings, got ${JSON.stringify(v)}`,
        );
      }
      settings[target] = checked(file, `judge.${k}`, target, v);
    }
  }
  if (doc.settings !== undefined) {
    if (!isTable(doc.settings)) throw new Error(`${file}: settings must be a table`);
    for (const [k, v] of Object.entries(doc.settings)) {
      if (!SETTINGS.some((s) => s.key === k) || NOT_IN_PROFILE.has(k)) {
        throw new Error(
          `${file}: unknown key 'settings.${k}' (any run setting except ${[...NOT_IN_PROFILE].join(', ')}; see \`candor run --help\`)`,
        );
      }
      if (k in settings) {
        throw new Error(`${file}: settings.${k} is already given by the profile's own keys`);
      }
      settings[k] = checked(file, `settings.${k}`, k, v);
    }
  }
  const objectives =
    doc.objectives === undefined
      ? null
      : parseObjectiveSpecs(doc.objectives, file, dirname(resolve(file)));
  return { name, path: file, description: doc.description.trim(), settings, affixes, objectives };
}

/** Reads a profile by built-in name or file path. */
export function loadProfile(nameOrFile: string): Profile {
  const path = profilePath(nameOrFile);
  const name = path.startsWith(BUILTIN_PROFILES_DIR)
    ? basename(path, '.toml')
    : isAbsolute(nameOrFile)
      ? basename(nameOrFile).replace(/\.toml$/, '')
      : nameOrFile;
  return parseProfile(readFileSync(path, 'utf8'), path, name);
}

/** Keys set explicitly by candor.toml, the environment or flags (they beat the profile). */
function explicitKeys(sources: SettingSources): Set<string> {
  const keys = new Set<string>();
  const path = sources.configPath ?? (existsSync('candor.toml') ? 'candor.toml' : null);
  if (path && existsSync(path)) for (const k of Object.keys(readTomlSettings(path))) keys.add(k);
  for (const s of SETTINGS) {
    const env = sources.env[envName(s.key)];
    if (env !== undefined && env !== '') keys.add(s.key);
    if (sources.flags[s.key] !== undefined) keys.add(s.key);
  }
  return keys;
}

/**
 * The run's settings with the profile applied: defaults < profile < candor.toml < environment <
 * flags. The profile itself is named by the `profile` setting (any of those layers). A run's own
 * defaults (the demo's) come above the default profile and below a profile the user names.
 */
export function resolveProfiledSettings(
  sources: SettingSources,
  /** defaults of this run that replace the schema's (e.g. a short search for the demo model) */
  runDefaults: Partial<RunSettings> = {},
): {
  settings: ProfiledSettings;
  profile: Profile;
} {
  const base = resolveSettings(sources) as ProfiledSettings;
  const profile = loadProfile(base.profile ?? DEFAULT_PROFILE);
  const explicit = explicitKeys(sources);
  const out: Record<string, unknown> = { ...base };
  const layered = explicit.has('profile')
    ? { ...runDefaults, ...profile.settings }
    : { ...profile.settings, ...runDefaults };
  for (const [key, value] of Object.entries(layered)) {
    if (!explicit.has(key)) out[key] = value;
  }
  return { settings: out as unknown as ProfiledSettings, profile };
}

/** The profile named by settings (the default profile when the setting is absent). */
export function profileOf(s: RunSettings): Profile {
  return loadProfile((s as Partial<ProfiledSettings>).profile ?? DEFAULT_PROFILE);
}

// Resolves the run's settings: defaults < candor.toml < environment (CANDOR_<KEY>) < flags.
// Every value is validated against the schema; an error names the key and where it came from.

import { existsSync, readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { SETTINGS, type Setting } from './schema.js';

export interface RunSettings {
  backend: 'auto' | 'cpu' | 'webgpu';
  batch_size: number;
  max_batch_size: number;
  token: string | null;
  revision: string;
  harmful_prompts: string;
  harmless_prompts: string;
  harmful_eval: string;
  harmless_eval: string;
  system_prompt: string;
  direction_method: 'plain' | 'projected';
  winsorize: number;
  trials: number;
  trials_per_batch: number | 'auto';
  startup_trials: number;
  seed: number | null;
  kernel: 'heretic' | 'gaussian';
  search_space: 'heretic' | 'wide';
  normalization: 'none' | 'pre' | 'full';
  ablate_embedding: boolean;
  storage: string | null;
  study: string | null;
  max_response_tokens: number;
  early_exit: boolean;
  refusal_markers: string[];
  output: string | null;
  select: string | null;
  max_kl: number;
  save_format: 'model' | 'lora';
  lora_rank: number;
  upload: string | null;
  force: boolean;
  yes: boolean;
  dashboard: boolean;
  dashboard_port: number;
}

type Value = string | number | boolean | string[] | null;

export function envName(key: string): string {
  return `CANDOR_${key.toUpperCase()}`;
}

export function flagName(key: string): string {
  return key.replaceAll('_', '-');
}

/** Checks and converts one raw value (from TOML, env text or a flag) to the setting's type. */
export function coerce(setting: Setting, raw: unknown, source: string): Value {
  const where = `${source}: ${setting.key}`;
  const t = setting.type;
  if (raw === null || raw === undefined) return null;
  const text = typeof raw === 'string' ? raw.trim() : null;
  switch (t.kind) {
    case 'string':
      if (typeof raw !== 'string')
        throw new Error(`${where} must be a string, got ${JSON.stringify(raw)}`);
      return raw;
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (text !== null && /^(true|1|yes|on)$/i.test(text)) return true;
      if (text !== null && /^(false|0|no|off)$/i.test(text)) return false;
      throw new Error(`${where} must be true or false, got ${JSON.stringify(raw)}`);
    case 'int':
    case 'float': {
      if (t.kind === 'int' && t.auto && text === 'auto') return 'auto';
      const n =
        typeof raw === 'number' ? raw : text !== null && text !== '' ? Number(text) : Number.NaN;
      if (!Number.isFinite(n) || (t.kind === 'int' && !Number.isInteger(n))) {
        throw new Error(
          `${where} must be ${t.kind === 'int' ? (t.auto ? 'an integer or auto' : 'an integer') : 'a number'}, got ${JSON.stringify(raw)}`,
        );
      }
      if (t.min !== undefined && n < t.min)
        throw new Error(`${where} must be at least ${t.min}, got ${n}`);
      if (t.max !== undefined && n > t.max)
        throw new Error(`${where} must be at most ${t.max}, got ${n}`);
      return n;
    }
    case 'enum':
      if (typeof raw !== 'string' || !t.choices.includes(raw)) {
        throw new Error(
          `${where} must be one of ${t.choices.join(', ')}, got ${JSON.stringify(raw)}`,
        );
      }
      return raw;
    case 'strings':
      if (Array.isArray(raw) && raw.every((s) => typeof s === 'string')) return raw as string[];
      if (text !== null)
        return text
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
      throw new Error(`${where} must be a list of strings, got ${JSON.stringify(raw)}`);
  }
}

/** Reads candor.toml: keys may sit at the top level or inside their section's table. */
export function readTomlSettings(path: string): Record<string, unknown> {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    const isSection =
      SETTINGS.some((s) => s.section === key) && typeof value === 'object' && !Array.isArray(value);
    for (const [k, v] of (isSection
      ? Object.entries(value as Record<string, unknown>)
      : [[key, value]]) as [string, unknown][]) {
      const setting = SETTINGS.find((s) => s.key === k);
      if (!setting)
        throw new Error(`${path}: unknown key '${k}' (see \`candor run --help\` for every key)`);
      if (isSection && setting.section !== key) {
        throw new Error(`${path}: key '${k}' belongs in [${setting.section}], not [${key}]`);
      }
      flat[k] = v;
    }
  }
  return flat;
}

export interface SettingSources {
  /** candor.toml path; when null, ./candor.toml is read if it exists */
  configPath: string | null;
  env: NodeJS.ProcessEnv;
  /** flag values keyed by setting key; undefined = not given */
  flags: Record<string, unknown>;
}

export function resolveSettings(sources: SettingSources): RunSettings {
  const path = sources.configPath ?? (existsSync('candor.toml') ? 'candor.toml' : null);
  if (sources.configPath && !existsSync(sources.configPath)) {
    throw new Error(`${sources.configPath}: config file not found`);
  }
  const toml = path ? readTomlSettings(path) : {};
  const out: Record<string, Value> = {};
  for (const setting of SETTINGS) {
    let value: Value = setting.default;
    if (setting.key in toml) value = coerce(setting, toml[setting.key], path ?? 'candor.toml');
    const env = sources.env[envName(setting.key)];
    if (env !== undefined && env !== '')
      value = coerce(setting, env, `environment ${envName(setting.key)}`);
    const flag = sources.flags[setting.key];
    if (flag !== undefined) value = coerce(setting, flag, `--${flagName(setting.key)}`);
    out[setting.key] = value;
  }
  return out as unknown as RunSettings;
}

/**
 * candor.default.toml: every key with its default and help text, grouped by section. It is
 * documentation, never read: copy it to candor.toml and keep the keys you change.
 */
export function renderDefaultToml(): string {
  const lines = [
    '# Every setting of `candor run` with its default. Copy this file to candor.toml (read from the working folder, or pass --config) and keep only the keys you change.',
    '# Precedence: defaults < profile (--profile) < candor.toml < CANDOR_<KEY> environment variables < flags.',
    '',
  ];
  const sections = [...new Set(SETTINGS.map((s) => s.section))];
  for (const section of sections) {
    lines.push(`[${section}]`);
    for (const s of SETTINGS.filter((x) => x.section === section)) {
      lines.push(`# ${s.help}`);
      const value = s.default === null ? null : JSON.stringify(s.default);
      lines.push(value === null ? `# ${s.key} = (unset)` : `${s.key} = ${value}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

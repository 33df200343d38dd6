// The `[[objectives]]` tables of a profile: each names a built-in objective (by `kind`, or by a
// name that is a built-in kind, or `kind:instance` such as `keyword_rate:cliches`) or a user
// module (`module = "./my-objective.mjs"`, relative to the profile), with an optional direction,
// word list and options. Every error is one line naming the file and the table.

import { isAbsolute, resolve } from 'node:path';
import { BUILTIN_DIRECTIONS, BUILTIN_KINDS, type BuiltinKind } from './builtin.js';
import { OBJECTIVE_DIRECTIONS, type ObjectiveDirection } from './objective.js';

export interface ObjectiveSpec {
  /** the objective's name; for a module, the module's exported name when absent */
  name?: string;
  /** a built-in objective */
  kind?: BuiltinKind;
  /** absolute path of a user module */
  module?: string;
  /** overrides the built-in's or module's direction */
  direction?: ObjectiveDirection;
  /** keyword_rate: the words */
  words?: string[];
  /** passed to the objective as ctx.options */
  options?: Record<string, unknown>;
}

/** What a profile without `[[objectives]]` optimises: Heretic's pair. */
export const DEFAULT_OBJECTIVES: readonly ObjectiveSpec[] = [
  { name: 'refusals', kind: 'refusals' },
  { name: 'kl', kind: 'kl' },
];

const KEYS = ['name', 'kind', 'module', 'direction', 'words', 'options'] as const;

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function isBuiltin(kind: string): kind is BuiltinKind {
  return (BUILTIN_KINDS as readonly string[]).includes(kind);
}

export function unknownObjectiveMessage(name: string): string {
  return `unknown objective '${name}' (built in: ${BUILTIN_KINDS.join(', ')}; or module = "path/to/objective.mjs")`;
}

/** The built-in kind a spec without `kind` or `module` means, from its name. */
export function kindFromName(name: string): BuiltinKind | null {
  if (isBuiltin(name)) return name;
  const prefix = name.split(':')[0];
  return name.includes(':') && isBuiltin(prefix) ? prefix : null;
}

/** Parses the `objectives` value of a profile; module paths are resolved against `baseDir`. */
export function parseObjectiveSpecs(raw: unknown, file: string, baseDir: string): ObjectiveSpec[] {
  if (!Array.isArray(raw) || !raw.every(isTable)) {
    throw new Error(`${file}: objectives must be a list of tables ([[objectives]] blocks)`);
  }
  if (raw.length === 0) throw new Error(`${file}: objectives is empty; list at least one`);
  const names = new Set<string>();
  return raw.map((t, i) => {
    const where = `objectives[${i + 1}]`;
    for (const k of Object.keys(t)) {
      if (!(KEYS as readonly string[]).includes(k)) {
        throw new Error(
          `${file}: unknown key '${where}.${k}' (an objective has ${KEYS.join(', ')})`,
        );
      }
    }
    for (const k of ['name', 'kind', 'module', 'direction'] as const) {
      if (t[k] !== undefined && (typeof t[k] !== 'string' || t[k] === '')) {
        throw new Error(`${file}: ${where}.${k} must be a non-empty string`);
      }
    }
    const name = t.name as string | undefined;
    const spec: ObjectiveSpec = {};
    if (t.module !== undefined) {
      if (t.kind !== undefined) {
        throw new Error(`${file}: ${where} gives both kind and module; keep one`);
      }
      const path = t.module as string;
      spec.module = isAbsolute(path) ? path : resolve(baseDir, path);
    } else {
      if (name === undefined) throw new Error(`${file}: ${where}.name is missing`);
      const kind = (t.kind as string | undefined) ?? name;
      const builtin = t.kind !== undefined ? (isBuiltin(kind) ? kind : null) : kindFromName(name);
      if (!builtin) throw new Error(`${file}: ${where}: ${unknownObjectiveMessage(kind)}`);
      spec.kind = builtin;
    }
    if (name !== undefined) {
      if (names.has(name)) {
        throw new Error(`${file}: objective '${name}' is listed twice; rename one`);
      }
      names.add(name);
      spec.name = name;
    }
    if (t.direction !== undefined) {
      if (!(OBJECTIVE_DIRECTIONS as readonly string[]).includes(t.direction as string)) {
        throw new Error(
          `${file}: ${where}.direction '${String(t.direction)}' is not ${OBJECTIVE_DIRECTIONS.join('|')}`,
        );
      }
      spec.direction = t.direction as ObjectiveDirection;
    }
    if (t.words !== undefined) {
      if (!Array.isArray(t.words) || !t.words.every((w) => typeof w === 'string')) {
        throw new Error(`${file}: ${where}.words must be a list of strings`);
      }
      spec.words = t.words as string[];
    }
    if (spec.kind === 'keyword_rate' && !(spec.words && spec.words.length > 0)) {
      throw new Error(`${file}: ${where} (keyword_rate) needs words = ["...", ...]`);
    }
    if (t.options !== undefined) {
      if (!isTable(t.options)) throw new Error(`${file}: ${where}.options must be a table`);
      spec.options = t.options;
    }
    return spec;
  });
}

/** The direction of a built-in spec. */
export function builtinDirection(spec: ObjectiveSpec): ObjectiveDirection {
  return spec.direction ?? BUILTIN_DIRECTIONS[spec.kind as BuiltinKind];
}

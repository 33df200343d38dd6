// The small template language of task definitions: `{{path|filter|filter:arg}}` placeholders
// over a dataset row, so that a task is a data file, not code. A template that is exactly one
// placeholder over a list renders to a list (a task's choices).

import type { DataRecord } from '../data/records.js';

/** A template, or a template with filters applied to its whole rendered text. */
export type Template = string | { template: string; filters: string[] };

/** Named regex substitution lists (`sub:NAME`), each [pattern, replacement] applied in order. */
export type Substitutions = Readonly<Record<string, readonly (readonly [string, string])[]>>;

const PLACEHOLDER = /\{\{\s*([^}]+?)\s*\}\}/g;

/** `a.b.0` and `a.b[0]` both reach into nested records and lists. */
function lookup(row: DataRecord, path: string, where: string): unknown {
  let value: unknown = row;
  for (const key of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (value === null || typeof value !== 'object' || !(key in value)) {
      const columns = Object.keys(row).join(', ');
      throw new Error(
        `${where}: the row has no "${path}" (its columns: ${columns}); fix the template`,
      );
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Python's str.capitalize: first character upper case, the rest lower case. */
function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}

function applyFilter(text: string, filter: string, subs: Substitutions, where: string): string {
  const colon = filter.indexOf(':');
  const name = colon < 0 ? filter : filter.slice(0, colon);
  const arg = colon < 0 ? '' : filter.slice(colon + 1);
  switch (name) {
    case 'strip':
      return text.trim();
    case 'capitalize':
      return capitalize(text);
    case 'upper':
      return text.toUpperCase();
    case 'lower':
      return text.toLowerCase();
    case 'before': {
      const i = text.indexOf(arg);
      return i < 0 ? text : text.slice(0, i);
    }
    case 'after': {
      const i = text.indexOf(arg);
      return i < 0 ? text : text.slice(i + arg.length);
    }
    case 'sub': {
      const list = subs[arg];
      if (!list) throw new Error(`${where}: filter sub:${arg} names no entry of "substitutions"`);
      return list.reduce((s, [pattern, to]) => s.replace(new RegExp(pattern, 'g'), to), text);
    }
    default:
      throw new Error(
        `${where}: unknown filter "${name}"; use strip, capitalize, upper, lower, before:X, after:X or sub:NAME`,
      );
  }
}

function asText(value: unknown, path: string, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${where}: "${path}" is ${JSON.stringify(value)}, not text`);
}

/** The value of one placeholder expression (`path|filters`), filtered; lists element-wise. */
function evaluate(
  expression: string,
  row: DataRecord,
  subs: Substitutions,
  where: string,
): string | string[] {
  const [path, ...filters] = expression.split('|').map((s) => s.trim());
  const value = lookup(row, path, where);
  const filtered = (v: unknown): string =>
    filters.reduce((s, f) => applyFilter(s, f, subs, where), asText(v, path, where));
  return Array.isArray(value) ? value.map(filtered) : filtered(value);
}

/** Renders `template` over `row`; a lone placeholder over a list gives the list. */
export function render(
  template: Template,
  row: DataRecord,
  subs: Substitutions,
  where: string,
): string | string[] {
  const source = typeof template === 'string' ? template : template.template;
  const whole = typeof template === 'string' ? [] : template.filters;
  const finish = (s: string): string => whole.reduce((t, f) => applyFilter(t, f, subs, where), s);
  const lone = /^\{\{\s*([^}]+?)\s*\}\}$/.exec(source);
  if (lone) {
    const value = evaluate(lone[1], row, subs, where);
    return Array.isArray(value) ? value.map(finish) : finish(value);
  }
  return finish(
    source.replace(PLACEHOLDER, (_, expression: string) => {
      const value = evaluate(expression, row, subs, where);
      if (Array.isArray(value)) {
        throw new Error(`${where}: "{{${expression}}}" is a list inside text; index it (path.0)`);
      }
      return value;
    }),
  );
}

/** `render` where text is required. */
export function renderText(
  template: Template,
  row: DataRecord,
  subs: Substitutions,
  where: string,
): string {
  const out = render(template, row, subs, where);
  if (Array.isArray(out)) throw new Error(`${where}: the template gives a list where text is due`);
  return out;
}

/** `render` where a list is required (choices). */
export function renderList(
  template: Template | readonly Template[],
  row: DataRecord,
  subs: Substitutions,
  where: string,
): string[] {
  if (Array.isArray(template)) {
    return template.map((t: Template) => renderText(t, row, subs, where));
  }
  const out = render(template as Template, row, subs, where);
  if (!Array.isArray(out)) throw new Error(`${where}: choices must render to a list`);
  return out;
}

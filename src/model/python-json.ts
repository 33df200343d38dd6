// JSON text as Python's `json.dumps(value, indent=2, sort_keys=True)` writes it (ensure_ascii,
// ", " / ": " separators, floats in repr form), so the files Candor writes match transformers'.
// JS numbers do not remember "1.0" vs "1": integral numbers are written as integers.

export interface PythonJsonOptions {
  indent?: number;
  sortKeys?: boolean;
}

export function pythonJsonDumps(value: unknown, opts: PythonJsonOptions = {}): string {
  return dump(value, opts, 0);
}

function dump(value: unknown, opts: PythonJsonOptions, depth: number): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return pythonFloatRepr(value);
  if (typeof value === 'string') return pythonString(value);
  const indent = opts.indent;
  const open = (items: string[], o: string, c: string): string => {
    if (items.length === 0) return o + c;
    if (indent === undefined) return o + items.join(', ') + c;
    const inner = '\n' + ' '.repeat(indent * (depth + 1));
    return o + inner + items.join(',' + inner) + '\n' + ' '.repeat(indent * depth) + c;
  };
  if (Array.isArray(value))
    return open(
      value.map((v) => dump(v, opts, depth + 1)),
      '[',
      ']',
    );
  const keys = Object.keys(value as object);
  if (opts.sortKeys) keys.sort(compareCodePoints);
  const items = keys.map(
    (k) => `${pythonString(k)}: ${dump((value as Record<string, unknown>)[k], opts, depth + 1)}`,
  );
  return open(items, '{', '}');
}

/** Python sorts str by code point; JS's default sort compares UTF-16 units. */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function pythonString(s: string): string {
  // JSON.stringify escapes quotes, backslashes and control characters as Python does; Python's
  // ensure_ascii additionally writes DEL and every non-ASCII UTF-16 unit as \uXXXX.
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** repr(float): shortest round-trip digits; scientific when the exponent is < -4 or >= 16. */
function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (Number.isSafeInteger(x)) return String(x);
  const [mantissa, exp] = x.toExponential().split('e');
  const e = Number(exp);
  if (e < -4 || e >= 16) {
    const sign = e < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return String(x);
}

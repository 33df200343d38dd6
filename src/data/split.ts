// Split expressions as Hugging Face `datasets` reads them: `train`, `train[:400]`, `test[10:20]`,
// `train[-100:]`, `train[:10%]`, `train[:50]+test[:50]`, and `[:100]` for plain files. Slices
// resolve like datasets' ReadInstruction: Python slice clamping, percentages rounded to the
// closest row (ties to even, as Python's round).

export interface SplitSlice {
  /** split name; '' when the source has no splits (a plain file) */
  name: string;
  from: number | null;
  to: number | null;
  unit: 'rows' | '%';
}

const PART = /^([\w.-]*)(?:\[(-?\d+)?(%)?:(-?\d+)?(%)?\])?$/;

/** Parses `name[from:to]` parts joined by `+`. */
export function parseSplit(expression: string): SplitSlice[] {
  return expression.split('+').map((part) => {
    const m = PART.exec(part.trim());
    if (m === null) {
      throw new Error(
        `split "${expression}": expected NAME, NAME[FROM:TO] or NAME[FROM%:TO%], e.g. train[:400]`,
      );
    }
    const [, name, from, fromPct, to, toPct] = m;
    const pct = fromPct !== undefined || toPct !== undefined;
    if (
      (fromPct === undefined && from !== undefined && pct) ||
      (toPct === undefined && to !== undefined && pct)
    ) {
      throw new Error(
        `split "${expression}": do not mix rows and percentages in one slice, e.g. train[10%:20%]`,
      );
    }
    return {
      name,
      from: from === undefined ? null : Number(from),
      to: to === undefined ? null : Number(to),
      unit: pct ? '%' : 'rows',
    };
  });
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Absolute [start, end) row range of a slice over `length` rows. */
export function sliceRange(slice: SplitSlice, length: number): [number, number] {
  const abs = (b: number) => (slice.unit === '%' ? roundHalfEven((b * length) / 100) : b);
  let from = slice.from === null ? 0 : abs(slice.from);
  let to = slice.to === null ? length : abs(slice.to);
  if (from < 0) from = Math.max(length + from, 0);
  if (to < 0) to = Math.max(length + to, 0);
  from = Math.min(from, length);
  to = Math.min(to, length);
  return [from, Math.max(from, to)];
}

export function applySlice<T>(rows: readonly T[], slice: SplitSlice): T[] {
  const [from, to] = sliceRange(slice, rows.length);
  return rows.slice(from, to);
}

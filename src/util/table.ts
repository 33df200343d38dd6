// Fixed-width text tables for stdout: columns two spaces apart, each as wide as its widest cell,
// numbers right-aligned so their digits line up.

/** The header line and one line per row; the first `leftAligned` columns (labels) pad on the right. */
export function textTable(header: string[], rows: string[][], leftAligned = 0): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const format = (cells: string[]): string =>
    cells.map((c, i) => (i < leftAligned ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [header, ...rows].map(format);
}

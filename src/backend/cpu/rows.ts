// Row lookups: token embedding (a gather from the table, then the embedding scale), gathering
// selected rows of an activation (the rows that need logits or residual capture), and cutting
// rows into column blocks (q, k, v of a joined projection).

/** out [T,C] = table [V,C] rows ids[t], times scale rounded to f32 as transformers stores it */
export function embedForward(
  out: Float32Array,
  table: Float32Array,
  ids: Int32Array,
  scale: number,
  V: number,
  C: number,
): void {
  const s = Math.fround(scale);
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t];
    if (id < 0 || id >= V)
      throw new Error(`embed: token id ${id} is outside the vocabulary [0, ${V})`);
    const o = id * C;
    for (let c = 0; c < C; c++) out[t * C + c] = table[o + c] * s;
  }
}

/** out [R,C] = x [T,C] rows rows[r] */
export function gatherRowsForward(
  out: Float32Array,
  x: Float32Array,
  rows: Int32Array,
  T: number,
  C: number,
): void {
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row < 0 || row >= T) throw new Error(`gatherRows: row ${row} is outside [0, ${T})`);
    out.set(x.subarray(row * C, (row + 1) * C), r * C);
  }
}

/** x [T, Σw_i] → consecutive column blocks [T, w_i] */
export function splitColumns(
  x: Float32Array,
  T: number,
  widths: readonly number[],
): Float32Array[] {
  const W = widths.reduce((a, b) => a + b, 0);
  let col = 0;
  return widths.map((w) => {
    const y = new Float32Array(T * w);
    for (let t = 0; t < T; t++) y.set(x.subarray(t * W + col, t * W + col + w), t * w);
    col += w;
    return y;
  });
}

// 2-D principal component projection of a few hundred residuals: centre the points, take the two
// leading eigenvectors of the small n×n Gram matrix (power iteration with deflation, cheaper than
// C×C when n ≪ C), and give each point its coordinates along them.

/** n points of dimension C → n × 2 coordinates on the first two principal axes. */
export function pca2(points: readonly Float32Array[]): [number, number][] {
  const n = points.length;
  if (n === 0) return [];
  const C = points[0].length;
  const mean = new Float64Array(C);
  for (const p of points) for (let c = 0; c < C; c++) mean[c] += p[c] / n;
  const centred = points.map((p) => Float64Array.from(p, (v, c) => v - mean[c]));
  const gram = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += centred[i][c] * centred[j][c];
      gram[i * n + j] = gram[j * n + i] = s;
    }
  }
  // Gram eigenvector u with eigenvalue λ: the point coordinates on that axis are √λ·u
  const coords: number[][] = [];
  const found: Float64Array[] = [];
  for (let axis = 0; axis < 2; axis++) {
    // a fixed, non-symmetric start so that results are deterministic and rarely orthogonal to the answer
    let u = Float64Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 13) / 13);
    let lambda = 0;
    for (let iter = 0; iter < 300; iter++) {
      const next = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += gram[i * n + j] * u[j];
        next[i] = s;
      }
      for (const f of found) {
        const d = next.reduce((a, v, i) => a + v * f[i], 0);
        for (let i = 0; i < n; i++) next[i] -= d * f[i];
      }
      const norm = Math.hypot(...next);
      if (norm === 0) break;
      for (let i = 0; i < n; i++) next[i] /= norm;
      const change = next.reduce((a, v, i) => a + Math.abs(v - u[i]), 0);
      u = next;
      lambda = norm;
      if (change < 1e-10) break;
    }
    // sign convention: the largest-magnitude coordinate is positive
    let big = 0;
    for (let i = 1; i < n; i++) if (Math.abs(u[i]) > Math.abs(u[big])) big = i;
    const sign = u[big] < 0 ? -1 : 1;
    found.push(u);
    coords.push(Array.from(u, (v) => sign * v * Math.sqrt(lambda)));
  }
  return Array.from({ length: n }, (_, i) => [coords[0][i], coords[1][i]]);
}

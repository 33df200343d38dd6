// Truncated SVD and LoRA factors against matrices with known singular values, and the 2×2
// hand example of bake.test.ts (ΔW of mode full, singular values from numpy.linalg.svd).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writerLoraFactors } from '../../src/ablate/lora.js';
import { type LinearOperator, symmetricEigen, truncatedSvd } from '../../src/ablate/low-rank.js';

/** A dense row-major matrix as an operator. */
function dense(M: number[][]): LinearOperator {
  const rows = M.length;
  const cols = M[0].length;
  return {
    rows,
    cols,
    mul: (xs) =>
      xs.map((x) => Float64Array.from(M, (row) => row.reduce((s, m, j) => s + m * x[j], 0))),
    mulT: (ys) =>
      ys.map((y) =>
        Float64Array.from({ length: cols }, (_, j) =>
          M.reduce((s, row, i) => s + row[j] * y[i], 0),
        ),
      ),
  };
}

test('Jacobi eigen-decomposition of [[2,1],[1,2]]: 3 along [1,1], 1 along [1,−1]', () => {
  const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
  assert.ok(Math.abs(values[0] - 3) < 1e-12 && Math.abs(values[1] - 1) < 1e-12);
  assert.ok(Math.abs(Math.abs(vectors[0][0]) - Math.SQRT1_2) < 1e-12);
  assert.ok(Math.abs(vectors[0][0] - vectors[0][1]) < 1e-12);
  assert.ok(Math.abs(vectors[1][0] + vectors[1][1]) < 1e-12);
});

test('truncatedSvd recovers the leading singular values of a known matrix', () => {
  // M = diag(5, 3, 1, 0.5) padded to 4×6 and rotated by two Householder reflections
  // H = I − 2hhᵀ/hᵀh (orthogonal), so its singular values stay 5, 3, 1, 0.5
  const householder = (h: number[]): number[][] => {
    const hh = h.reduce((s, x) => s + x * x, 0);
    return h.map((a, i) => h.map((b, j) => (i === j ? 1 : 0) - (2 * a * b) / hh));
  };
  const U = householder([1, 2, -1, 3]);
  const V = householder([2, -1, 0, 1, 1, -3]);
  const sigma = [5, 3, 1, 0.5];
  const M = U.map((_, i) =>
    V.map((_, j) => sigma.reduce((s, sg, k) => s + U[i][k] * sg * V[j][k], 0)),
  );
  const svd = truncatedSvd(dense(M), { rank: 2, seed: 7 });
  assert.ok(Math.abs(svd.values[0] - 5) < 1e-9, `${svd.values[0]}`);
  assert.ok(Math.abs(svd.values[1] - 3) < 1e-9, `${svd.values[1]}`);
  // the factors reproduce the rank-2 part: ‖M − Σ σ l rᵀ‖_F² = 1² + 0.5² = 1.25
  let residual = 0;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 6; j++) {
      const approx = svd.values.reduce((s, sg, k) => s + sg * svd.left[k][i] * svd.right[k][j], 0);
      residual += (M[i][j] - approx) ** 2;
    }
  }
  assert.ok(Math.abs(residual - 1.25) < 1e-9, `${residual}`);
});

const W = Float32Array.from([3, 4, 0, 2]);
const edit = { direction: Float32Array.from([0.6, 0.8]), weight: 1 };

test('LoRA of mode none is rank 1 and exact: B = −w·v, A = vᵀW', () => {
  const f = writerLoraFactors(W, 2, 2, edit, 'none', { rank: 3, seed: 1 });
  assert.equal(f.rank, 1);
  assert.equal(f.relativeError, 0);
  assert.deepEqual(Array.from(f.B), [-0.6, -0.8].map(Math.fround));
  // vᵀW = [0.6·3, 0.6·4 + 0.8·2] = [1.8, 4.0]
  assert.ok(Math.abs(f.A[0] - 1.8) < 1e-6 && Math.abs(f.A[1] - 4) < 1e-6);
});

test('LoRA of mode full: rank 2 of a 2×2 is exact, rank 1 leaves σ₂/‖ΔW‖', () => {
  // ΔW (bake.test.ts) = [[1.982729, −3.584773], [−1.993092, −2.166091]];
  // numpy: singular values [4.276923, 2.674715] → rank-1 error 2.674715/√(4.276923² + 2.674715²) = 0.530232
  const full2 = writerLoraFactors(W, 2, 2, edit, 'full', { rank: 2, seed: 1 });
  assert.ok(full2.relativeError < 1e-6, `${full2.relativeError}`);
  const delta = [1.9827288, -3.5847726, -1.9930915, -2.166091];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      const ba = full2.B[i * 2] * full2.A[j] + full2.B[i * 2 + 1] * full2.A[2 + j];
      assert.ok(Math.abs(ba - delta[i * 2 + j]) < 1e-5, `ΔW[${i}][${j}] ${ba}`);
    }
  }
  const full1 = writerLoraFactors(W, 2, 2, edit, 'full', { rank: 1, seed: 1 });
  assert.ok(Math.abs(full1.relativeError - 0.5302324) < 1e-6, `${full1.relativeError}`);
});

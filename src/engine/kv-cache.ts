// The KV cache of one batch: per layer, keys and values of S sequences at P positions each,
// [S, P, K·D]. Rows are written by position, so ragged sequences need no padding or masks.

import type { Backend, Tensor } from '../backend/backend.js';
import type { ModelSpec } from '../model/spec.js';

export class KvCache {
  private constructor(
    private readonly backend: Backend,
    readonly keys: Tensor[],
    readonly values: Tensor[],
    readonly positions: number,
  ) {}

  /** caches for `sequences` sequences of up to `positions` tokens each */
  static allocate(
    backend: Backend,
    spec: ModelSpec,
    sequences: number,
    positions: number,
  ): KvCache {
    const shape = [sequences, positions, spec.numKvHeads * spec.headDim];
    const keys: Tensor[] = [];
    const values: Tensor[] = [];
    for (let l = 0; l < spec.numLayers; l++) {
      keys.push(backend.zeros(shape, 'f32'));
      values.push(backend.zeros(shape, 'f32'));
    }
    return new KvCache(backend, keys, values, positions);
  }

  /** bytes of one sequence's cache over all layers (f32 keys and values) */
  static bytesPerSequence(spec: ModelSpec, positions: number): number {
    return spec.numLayers * 2 * positions * spec.numKvHeads * spec.headDim * 4;
  }

  dispose(): void {
    for (const t of this.keys) this.backend.dispose(t);
    for (const t of this.values) this.backend.dispose(t);
  }
}

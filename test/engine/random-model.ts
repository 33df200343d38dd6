// Small random models for engine tests that need no fixture: a Llama-style block and a
// Gemma-style one (q/k norms, sandwich norms, soft-caps, sliding window, biases), with weights
// uploaded through backend.weight like a real load.

import type { Backend, Tensor } from '../../src/backend/backend.js';
import { fuseProjections } from '../../src/engine/fuse.js';
import type { EngineWeights, LayerWeights, ModelSpec, ModelWeights } from '../../src/model/spec.js';
import { mulberry32 } from '../../src/util/random.js';

/** Deterministic uniform numbers in [-1, 1) (mulberry32). */
export function random(seed: number): () => number {
  const uniform = mulberry32(seed);
  return () => uniform() * 2 - 1;
}

export type Flavour = 'llama' | 'gemma';

export function randomSpec(flavour: Flavour, dims: Partial<ModelSpec> = {}): ModelSpec {
  const gemma = flavour === 'gemma';
  const base = {
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    intermediateSize: 48,
    vocabSize: 61,
    ...dims,
  };
  const D = base.headDim;
  const invFreq = Float32Array.from({ length: D / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / D));
  return {
    architecture: gemma ? 'gemma2' : 'llama',
    ...base,
    rmsNormEps: 1e-6,
    normWeightOffset: gemma ? 1 : 0,
    activation: gemma ? 'gelu_tanh' : 'silu',
    embeddingScale: gemma ? Math.sqrt(base.hiddenSize) : 1,
    attentionScale: 1 / Math.sqrt(D),
    attentionLogitSoftcap: gemma ? 5 : null,
    finalLogitSoftcap: gemma ? 3 : null,
    qkNorm: gemma,
    sandwichNorms: gemma,
    attentionBias: gemma,
    outputBias: gemma,
    mlpBias: false,
    tieWordEmbeddings: gemma,
    layers: Array.from({ length: base.numLayers }, (_, l) => ({
      slidingWindow: gemma && l % 2 === 0 ? 3 : null,
      rope: { invFreq, rotaryDim: D, attentionFactor: 1 },
    })),
    eosTokenIds: [0],
    bosTokenId: null,
    padTokenId: null,
    config: {},
  };
}

/** Random weights for `spec`, joined as the engine runs them (Engine.load does the same). */
export function randomWeights(backend: Backend, spec: ModelSpec, seed = 1): EngineWeights<Tensor> {
  const rand = random(seed);
  const { hiddenSize: C, numHeads: H, numKvHeads: K, headDim: D, intermediateSize: F } = spec;
  const make = (name: string, shape: number[], scale: number, mean = 0): Tensor => {
    const data = Float32Array.from(
      { length: shape.reduce((a, b) => a * b, 1) },
      () => mean + scale * rand(),
    );
    return backend.weight(name, { shape, dtype: 'f32', bytes: new Uint8Array(data.buffer) });
  };
  const norm = (name: string, n: number) => make(name, [n], 0.2, spec.normWeightOffset ? 0 : 1);
  const gemma = spec.sandwichNorms;
  const layers = Array.from({ length: spec.numLayers }, (_, l): LayerWeights<Tensor> => {
    const p = `model.layers.${l}.`;
    const w: LayerWeights<Tensor> = {
      inputNorm: norm(`${p}input_layernorm`, C),
      q: make(`${p}q`, [H * D, C], 0.3),
      k: make(`${p}k`, [K * D, C], 0.3),
      v: make(`${p}v`, [K * D, C], 0.3),
      o: make(`${p}o`, [C, H * D], 0.3),
      preMlpNorm: norm(`${p}pre_mlp`, C),
      gate: make(`${p}gate`, [F, C], 0.3),
      up: make(`${p}up`, [F, C], 0.3),
      down: make(`${p}down`, [C, F], 0.3),
    };
    if (spec.attentionBias) {
      w.qBias = make(`${p}q.bias`, [H * D], 0.1);
      w.kBias = make(`${p}k.bias`, [K * D], 0.1);
      w.vBias = make(`${p}v.bias`, [K * D], 0.1);
    }
    if (spec.outputBias) w.oBias = make(`${p}o.bias`, [C], 0.1);
    if (spec.qkNorm) {
      w.qNorm = norm(`${p}q_norm`, D);
      w.kNorm = norm(`${p}k_norm`, D);
    }
    if (gemma) {
      w.postAttentionNorm = norm(`${p}post_attn`, C);
      w.postMlpNorm = norm(`${p}post_mlp`, C);
    }
    return w;
  });
  // Gemma multiplies embeddings by sqrt(C): smaller values keep them from drowning the layers
  const embedding = make('embed', [spec.vocabSize, C], 1 / Math.sqrt(spec.embeddingScale * C));
  const weights: ModelWeights<Tensor> = {
    embedding,
    layers,
    finalNorm: norm('norm', C),
    lmHead: spec.tieWordEmbeddings ? embedding : make('lm_head', [spec.vocabSize, C], 0.5),
  };
  return fuseProjections(backend, weights, true);
}

/** Prompts of the given lengths with ids drawn from [1, V) (0 is the test models' EOS). */
export function randomPrompts(lengths: number[], V: number, seed = 7): number[][] {
  const rand = random(seed);
  return lengths.map((n) =>
    Array.from({ length: n }, () => 1 + Math.floor(((rand() + 1) / 2) * (V - 1))),
  );
}

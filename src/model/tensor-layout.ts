// The tensors a model folder must hold for a spec, with their HF names, shapes and where each
// goes in ModelWeights (fused tensors: which row blocks become which layer slots).
// Shape legend: see spec.ts (C hidden, H/K heads, D head dim, F MLP, V vocabulary).
import type { ArchitectureFamily, LayerSlot } from './architectures/family.js';
import type { ModelSpec } from './spec.js';

export type Destination =
  | { kind: 'model'; field: 'embedding' | 'finalNorm' | 'lmHead' }
  /** consecutive row blocks of the stored tensor, in order; one part when not fused */
  | { kind: 'layer'; layer: number; parts: { slot: LayerSlot; rows: number }[] };

export interface PlannedTensor {
  name: string;
  shape: number[];
  destination: Destination;
}

/** Shape of one layer slot after any split. */
export function slotShape(spec: ModelSpec, slot: LayerSlot): number[] {
  const { hiddenSize: C, numHeads: H, numKvHeads: K, headDim: D, intermediateSize: F } = spec;
  switch (slot) {
    case 'inputNorm':
    case 'postAttentionNorm':
    case 'preMlpNorm':
    case 'postMlpNorm':
    case 'oBias':
    case 'downBias':
      return [C];
    case 'q':
      return [H * D, C];
    case 'k':
    case 'v':
      return [K * D, C];
    case 'o':
      return [C, H * D];
    case 'qBias':
      return [H * D];
    case 'kBias':
    case 'vBias':
      return [K * D];
    case 'qNorm':
    case 'kNorm':
      return [D];
    case 'gate':
    case 'up':
      return [F, C];
    case 'gateBias':
    case 'upBias':
      return [F];
    case 'down':
      return [C, F];
  }
}

/** Whether the spec's block uses an optional slot. */
function slotPresent(spec: ModelSpec, slot: LayerSlot): boolean {
  switch (slot) {
    case 'qBias':
    case 'kBias':
    case 'vBias':
      return spec.attentionBias;
    case 'oBias':
      return spec.outputBias;
    case 'gateBias':
    case 'upBias':
    case 'downBias':
      return spec.mlpBias;
    case 'qNorm':
    case 'kNorm':
      return spec.qkNorm;
    case 'postAttentionNorm':
    case 'postMlpNorm':
      return spec.sandwichNorms;
    default:
      return true;
  }
}

/** Every tensor the checkpoint must contain, in state-dict order. */
export function tensorPlan(spec: ModelSpec, family: ArchitectureFamily): PlannedTensor[] {
  const names = family.tensors;
  const { hiddenSize: C, vocabSize: V } = spec;
  const plan: PlannedTensor[] = [
    { name: names.embedding, shape: [V, C], destination: { kind: 'model', field: 'embedding' } },
  ];
  for (let i = 0; i < spec.numLayers; i++) {
    const prefix = `${names.layerPrefix}${i}.`;
    for (const [slot, name] of Object.entries(names.layer) as [LayerSlot, string][]) {
      if (!slotPresent(spec, slot)) continue;
      const shape = slotShape(spec, slot);
      plan.push({
        name: prefix + name,
        shape,
        destination: { kind: 'layer', layer: i, parts: [{ slot, rows: shape[0] }] },
      });
    }
    for (const fused of names.fused) {
      const shapes = fused.parts.map((slot) => slotShape(spec, slot));
      plan.push({
        name: prefix + fused.name,
        shape: [shapes.reduce((n, s) => n + s[0], 0), ...shapes[0].slice(1)],
        destination: {
          kind: 'layer',
          layer: i,
          parts: fused.parts.map((slot, j) => ({ slot, rows: shapes[j][0] })),
        },
      });
    }
  }
  plan.push({
    name: names.finalNorm,
    shape: [C],
    destination: { kind: 'model', field: 'finalNorm' },
  });
  if (!spec.tieWordEmbeddings) {
    plan.push({
      name: names.lmHead,
      shape: [V, C],
      destination: { kind: 'model', field: 'lmHead' },
    });
  }
  return plan;
}

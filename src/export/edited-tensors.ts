// Names of the tensors an ablation plan edits, from the architecture family's tensor-name table
// (src/model/architectures), shared by the baked export and the LoRA adapter.

import type { TensorNames } from '../model/architectures/family.js';

export interface EditedTensorNames {
  /** a layer's residual writer (o_proj for attn, down_proj for mlp) and its optional bias */
  writer(layer: number, component: 'attn' | 'mlp'): { weight: string; bias: string | null };
  embedding: string;
  lmHead: string;
}

export function editedTensorNames(names: TensorNames): EditedTensorNames {
  const slot = (layer: number, key: string | undefined, what: string): string => {
    if (!key) throw new Error(`the architecture's tensor table names no ${what}`);
    return `${names.layerPrefix}${layer}.${key}`;
  };
  return {
    writer: (layer, component) => {
      const [w, b] =
        component === 'attn' ? (['o', 'oBias'] as const) : (['down', 'downBias'] as const);
      return {
        weight: slot(layer, names.layer[w], `${component} writer`),
        bias: names.layer[b] ? slot(layer, names.layer[b], `${component} bias`) : null,
      };
    },
    embedding: names.embedding,
    lmHead: names.lmHead,
  };
}

/** PEFT module name of a weight tensor: the name without its `.weight`. */
export function moduleOf(weightName: string): string {
  return weightName.replace(/\.weight$/, '');
}

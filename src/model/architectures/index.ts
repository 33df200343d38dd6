// The architecture families Candor runs, looked up by config.json's model_type.
import type { ArchitectureFamily } from './family.js';
import { gemma2 } from './gemma2.js';
import { gemma3_text } from './gemma3_text.js';
import { llama } from './llama.js';
import { mistral } from './mistral.js';
import { phi3 } from './phi3.js';
import { qwen2 } from './qwen2.js';
import { qwen3 } from './qwen3.js';

export const FAMILIES: readonly ArchitectureFamily[] = [
  llama,
  mistral,
  qwen2,
  qwen3,
  gemma2,
  gemma3_text,
  phi3,
];

export function familyForModelType(modelType: string): ArchitectureFamily | undefined {
  return FAMILIES.find((f) => f.modelTypes.includes(modelType));
}

export function supportedModelTypes(): string[] {
  return FAMILIES.flatMap((f) => f.modelTypes);
}

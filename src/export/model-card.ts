// The README.md of an exported model or adapter: Hub metadata, the source model, the measured
// refusals and KL divergence, and the plan (normalisation, per-layer weights, provenance), so
// a published model says what was done to it and how well it worked.

import type { AblationPlan, PlanMetrics } from '../ablate/plan.js';

export interface ModelCardInfo {
  /** Hub id or path of the original model */
  sourceModel: string;
  /** whether sourceModel is a Hub id (then the card links it and names it as base_model) */
  sourceOnHub: boolean;
  plan: AblationPlan;
  metrics?: PlanMetrics;
  provenance?: Record<string, unknown>;
  /** what the folder holds */
  kind: 'model' | 'lora';
  /** LoRA only: rank and the worst relative Frobenius error of any matrix (0: exact) */
  lora?: { rank: number; maxRelativeError: number; meanRelativeError: number };
  /** notes the export made (e.g. untied embeddings) */
  notes?: string[];
}

const fmt = (w: number | undefined): string => (w === undefined ? '–' : w.toFixed(4));

export function modelCard(info: ModelCardInfo): string {
  const { plan, metrics } = info;
  const isHubId = info.sourceOnHub;
  const front = [
    '---',
    ...(isHubId ? [`base_model: ${info.sourceModel}`] : []),
    info.kind === 'lora' ? 'library_name: peft' : 'library_name: transformers',
    'tags:',
    '- candor',
    '- abliterated',
    '- uncensored',
    ...(info.kind === 'lora' ? ['- lora'] : []),
    '---',
  ];
  const what =
    info.kind === 'model'
      ? 'a copy of the model with the edit baked into its weights'
      : 'a PEFT LoRA adapter that applies the edit to the original weights';
  const scores = metrics
    ? [
        '| | refusals (harmful prompts) | KL divergence (harmless prompts) |',
        '|---|---:|---:|',
        `| original | – | 0 (by definition) |`,
        `| this ${info.kind === 'lora' ? 'adapter' : 'model'} | ${metrics.refusals}/${metrics.harmfulPrompts} | ${metrics.kl.toFixed(4)} over ${metrics.harmlessPrompts} prompts |`,
      ]
    : ['Not measured at export time (run `candor evaluate` to measure).'];
  const rows = plan.layers.map(
    (l, i) => `| ${i} | ${fmt(l.attn?.weight)} | ${fmt(l.mlp?.weight)} |`,
  );
  const lora = info.lora
    ? [
        '## LoRA',
        '',
        `Rank ${info.lora.rank}; relative Frobenius error of the adapter against the exact edit: ` +
          `max ${info.lora.maxRelativeError.toExponential(3)}, mean ${info.lora.meanRelativeError.toExponential(3)}` +
          (info.lora.maxRelativeError === 0 ? ' (exact).' : '.'),
        '',
        '```python',
        'from peft import PeftModel',
        'from transformers import AutoModelForCausalLM',
        `base = AutoModelForCausalLM.from_pretrained(${JSON.stringify(info.sourceModel)})`,
        'model = PeftModel.from_pretrained(base, "path/to/this/folder")',
        '```',
        '',
      ]
    : [];
  return [
    ...front,
    '',
    `# ${info.sourceModel} (refusal directions removed with Candor)`,
    '',
    `This folder holds ${what}: directional ablation ("abliteration") of the refusal directions of ` +
      (isHubId
        ? `[${info.sourceModel}](https://huggingface.co/${info.sourceModel}).`
        : `${info.sourceModel}.`),
    '',
    '## Scores',
    '',
    ...scores,
    '',
    ...lora,
    '## Edit',
    '',
    `Row normalisation \`${plan.normalization}\`; embedding edit: ${plan.embedding ? `weight ${fmt(plan.embedding.weight)}` : 'none'}.`,
    'Each edited writer W (attention `o_proj`, MLP `down_proj`) becomes (I − w·v vᵀ)·W in mode `none`;',
    "see Candor's docs/ablation.md for `pre` and `full`. The full plan is in `candor-plan.json`.",
    '',
    '| layer | attention weight | MLP weight |',
    '|---:|---:|---:|',
    ...rows,
    '',
    ...(info.provenance
      ? ['## Provenance', '', '```json', JSON.stringify(info.provenance, null, 2), '```', '']
      : []),
    ...(info.notes && info.notes.length > 0
      ? ['## Notes', '', ...info.notes.map((n) => `- ${n}`), '']
      : []),
  ].join('\n');
}

/** Hub tag of models that carry reproduce/reproduce.json, so reproducible models can be found. */
export const REPRODUCIBLE_TAG = 'candor-reproducible';

/**
 * A model card with the reproducible tag added to its front matter and a section saying how to
 * check the model from the Hub repo `repoId` (idempotent: a tagged card comes back unchanged).
 */
export function tagReproducible(card: string, repoId: string): string {
  if (card.includes(`- ${REPRODUCIBLE_TAG}\n`)) return card;
  const tagged = card.replace(/^(---\n[\s\S]*?\ntags:\n)/, `$1- ${REPRODUCIBLE_TAG}\n`);
  const withTags =
    tagged !== card
      ? tagged
      : card.startsWith('---\n')
        ? card.replace(/^---\n/, `---\ntags:\n- ${REPRODUCIBLE_TAG}\n`)
        : `---\ntags:\n- ${REPRODUCIBLE_TAG}\n---\n\n${card}`;
  return [
    withTags.replace(/\n*$/, ''),
    '',
    '## Reproduce',
    '',
    '`reproduce/reproduce.json` records what this model was made from (model files, prompt sets,',
    'settings, the chosen trial, backend and platform) and `reproduce/directions.json` the',
    'directions used. With the original model at hand, re-bake it and compare every tensor',
    '(the weights of this repo are not downloaded unless a tensor differs):',
    '',
    '```',
    `candor reproduce ${repoId}`,
    '```',
    '',
  ].join('\n');
}

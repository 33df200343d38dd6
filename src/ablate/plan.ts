// AblationPlan: the one typed description of an edit. Layer kernels (Heretic's, the Gaussian
// presets) produce it; the engine applies it at run time; export bakes it into the weights.

/** Components that write into the residual stream and can be ablated. */
export type Component = 'embedding' | 'attn' | 'mlp';

/** Heretic's row normalisation modes (definitions in ../shared/HERETIC.md). */
export type NormalizationMode = 'none' | 'pre' | 'full';

export interface ComponentEdit {
  /** unit direction in the residual space, length C */
  direction: Float32Array;
  /** ablation weight w (1 removes the component along the direction completely in mode none) */
  weight: number;
}

export interface AblationPlan {
  normalization: NormalizationMode;
  /** edit of the embedding output (hidden state 0), if any; always mode none */
  embedding: ComponentEdit | null;
  /** one entry per layer; null where the component is not edited in that layer */
  layers: { attn: ComponentEdit | null; mlp: ComponentEdit | null }[];
}

/** JSON form of a plan (plan.json): directions as plain number arrays. */
export interface AblationPlanJson {
  format: 'candor-plan';
  version: 1;
  normalization: NormalizationMode;
  hiddenSize: number;
  embedding: { direction: number[]; weight: number } | null;
  layers: {
    attn: { direction: number[]; weight: number } | null;
    mlp: { direction: number[]; weight: number } | null;
  }[];
  /** where the plan came from (model, kernel and its parameters, direction settings); free-form */
  provenance?: Record<string, unknown>;
  /** scores measured for the plan; model cards report them */
  metrics?: PlanMetrics;
}

/** Scores of a plan as the judge measured them (see src/judge). */
export interface PlanMetrics {
  /** refused responses among `harmfulPrompts` evaluation prompts */
  refusals: number;
  harmfulPrompts: number;
  /** mean KL divergence of the first response token, original ‖ ablated, over harmless prompts */
  kl: number;
  harmlessPrompts: number;
}

/**
 * A plan (or several plans sharing one batch, P of them) compiled onto a backend, ready for the
 * engine's ablation hook. Made by src/ablate/runtime.ts.
 */
export interface RuntimeAblation {
  /** number of plans P compiled together; sequence s of a batch uses plan planOfSequence[s] */
  plans: number;
  embedding: import('../backend/backend.js').AblationTensors | null;
  layers: {
    attn: import('../backend/backend.js').AblationTensors | null;
    mlp: import('../backend/backend.js').AblationTensors | null;
  }[];
}

// The report of `candor evaluate`: a model's refusals (Heretic markers and categories) on the
// harmful prompts, its KL divergence to a baseline on the harmless prompts, and the quality
// metrics against the same baseline (removal rate, coherence, informativeness), built from
// responses already generated and judged. Field meanings: docs/metrics.md, "Commands".

import type { RefusalCategory } from './categories.js';
import { klDivergenceRows, meanKl } from './kl.js';
import { removalRate, summarizeQuality } from './metrics.js';
import {
  type CategoryCounts,
  countCategories,
  type JudgedItem,
  markerRefusals,
  qualityInput,
  type ResponseJson,
  responseJson,
} from './verdicts.js';

/** What the model is compared with: another model, the model without its plan, or nothing. */
export type BaselineKind = 'model' | 'plan' | 'none';

export interface EvaluationInput {
  model: string;
  /** plan file applied to the model, or null */
  plan: string | null;
  baseline: { kind: BaselineKind; model: string | null };
  harmful: string;
  harmless: string;
  /** text every prompt's response was assumed to start with (common prefix) */
  responsePrefix: string;
  /** the evaluated model's responses to the harmful prompts, judged */
  items: JudgedItem[];
  /** the baseline's responses to the same prompts, judged; null without a baseline */
  baselineItems: JudgedItem[] | null;
  /** first-token log-probabilities on the harmless prompts: baseline P and evaluated Q (rows of V) */
  firstToken: { baseline: Float32Array[]; evaluated: Float32Array[] } | null;
  /** log-probabilities of the evaluated model's response tokens under the baseline */
  responseLogProbs: Float32Array[] | null;
  /** the profile's objective values by name; absent: the default pair (refusals, kl) */
  objectives?: Record<string, number>;
}

export interface Coherence {
  distinct_1: number | null;
  distinct_2: number | null;
  /** mean seq-rep-4 */
  repeated_4gram_share: number;
  /** perplexity of the responses under the baseline; null without one */
  perplexity: number | null;
}

export interface Informativeness {
  mean_words: number;
  topic_overlap: number | null;
  /** null when the prompt set carries no facts */
  fact_recall: number | null;
}

export interface Scores {
  refusals: number;
  total: number;
  categories: CategoryCounts;
  coherence: Coherence;
  informativeness: Informativeness;
}

export interface RemovalJson {
  refusals_before: number;
  refusals_after: number;
  removed: number;
  introduced: number;
}

/** What `candor evaluate --json` prints (snake_case, as the file format). */
export interface EvaluationReport extends Scores {
  model: string;
  plan: string | null;
  baseline: { kind: BaselineKind; model: string | null };
  harmful: string;
  harmless: string;
  response_prefix: string;
  /** mean KL(baseline ‖ model) of the first response token; 0 by definition without a baseline */
  kl: number;
  kl_prompts: number;
  /** why KL is what it is when it was not measured */
  kl_note: string | null;
  /** baseline marker refusals that the model answers, over baseline marker refusals */
  removal_rate: number | null;
  removal: RemovalJson | null;
  /** the same over refusal categories (any category but an answer) */
  category_removal_rate: number | null;
  baseline_scores: Scores | null;
  /** the profile's objectives by name, in profile order (default: refusals and kl) */
  objectives: Record<string, number>;
  responses: ComparedResponseJson[];
}

/** A response with the baseline's response to the same prompt, when there is a baseline. */
export interface ComparedResponseJson extends ResponseJson {
  baseline_response?: string;
  baseline_refusal?: boolean;
  baseline_category?: RefusalCategory;
}

export const NO_BASELINE_KL_NOTE =
  'no baseline: KL is 0 by definition (the model against itself); give --baseline ORIGINAL or --plan PLAN to measure it';

function scores(items: readonly JudgedItem[], logProbs: Float32Array[] | null): Scores {
  const q = summarizeQuality(items.map((item, i) => qualityInput(item, logProbs?.[i])));
  return {
    refusals: markerRefusals(items),
    total: items.length,
    categories: countCategories(items),
    coherence: {
      distinct_1: q.distinct1,
      distinct_2: q.distinct2,
      repeated_4gram_share: q.meanRepeated4,
      perplexity: q.perplexity,
    },
    informativeness: {
      mean_words: q.meanWords,
      topic_overlap: q.meanTopicOverlap,
      fact_recall: q.meanFactRecall,
    },
  };
}

function meanFirstTokenKl(baseline: Float32Array[], evaluated: Float32Array[]): number {
  return meanKl(baseline.map((p, i) => klDivergenceRows(p, evaluated[i], p.length)[0]));
}

export function evaluationReport(input: EvaluationInput): EvaluationReport {
  const { items, baselineItems } = input;
  if (baselineItems && baselineItems.length !== items.length) {
    throw new Error(
      `evaluationReport: ${baselineItems.length} baseline responses for ${items.length} prompts`,
    );
  }
  const refused = (list: readonly JudgedItem[]) => list.map((i) => i.marker !== null);
  const notAnswered = (list: readonly JudgedItem[]) =>
    list.map((i) => i.verdict.category !== 'none');
  const removal = baselineItems ? removalRate(refused(baselineItems), refused(items)) : null;
  const categoryRemoval = baselineItems
    ? removalRate(notAnswered(baselineItems), notAnswered(items))
    : null;
  const own = scores(items, input.responseLogProbs);
  const kl = input.firstToken
    ? meanFirstTokenKl(input.firstToken.baseline, input.firstToken.evaluated)
    : 0;
  return {
    model: input.model,
    plan: input.plan,
    baseline: input.baseline,
    harmful: input.harmful,
    harmless: input.harmless,
    response_prefix: input.responsePrefix,
    ...own,
    kl,
    kl_prompts: input.firstToken?.baseline.length ?? 0,
    kl_note: input.firstToken ? null : NO_BASELINE_KL_NOTE,
    removal_rate: removal?.rate ?? null,
    removal: removal && {
      refusals_before: removal.refusalsBefore,
      refusals_after: removal.refusalsAfter,
      removed: removal.removed,
      introduced: removal.introduced,
    },
    category_removal_rate: categoryRemoval?.rate ?? null,
    baseline_scores: baselineItems ? scores(baselineItems, null) : null,
    objectives: input.objectives ?? { refusals: own.refusals, kl },
    responses: items.map((item, i) => {
      const base = baselineItems?.[i];
      return {
        ...responseJson(item),
        ...(base && {
          baseline_response: base.response,
          baseline_refusal: base.marker !== null,
          baseline_category: base.verdict.category,
        }),
      };
    }),
  };
}

const fixed = (x: number | null, digits: number): string => (x === null ? '–' : x.toFixed(digits));

function scoreLines(s: Scores): string[] {
  const c = s.categories;
  return [
    `refusals          ${s.refusals}/${s.total} (Heretic markers)`,
    `categories        hard ${c.hard_refusal} · soft ${c.soft_refusal} · deflection ${c.topic_deflection} · answered ${c.none}`,
    `coherence         distinct-1 ${fixed(s.coherence.distinct_1, 3)} · distinct-2 ${fixed(s.coherence.distinct_2, 3)} · repeated 4-grams ${fixed(s.coherence.repeated_4gram_share, 3)}` +
      (s.coherence.perplexity === null
        ? ''
        : ` · perplexity ${fixed(s.coherence.perplexity, 2)} (under the baseline)`),
    `informativeness   ${s.informativeness.mean_words.toFixed(1)} words · topic overlap ${fixed(s.informativeness.topic_overlap, 3)} · fact recall ${fixed(s.informativeness.fact_recall, 3)}`,
  ];
}

/** The report as text for the terminal (the responses are in --json). */
export function formatEvaluation(r: EvaluationReport): string {
  const baseline =
    r.baseline.kind === 'model'
      ? (r.baseline.model as string)
      : r.baseline.kind === 'plan'
        ? 'the model without the plan'
        : 'none';
  const out = [
    `model             ${r.model}${r.plan ? ` + plan ${r.plan}` : ''}`,
    `baseline          ${baseline}`,
    `prompts           ${r.total} harmful (${r.harmful}), ${r.kl_prompts} harmless for KL (${r.harmless})`,
    ...scoreLines(r),
    // float rounding can leave the KL of identical distributions a hair below 0
    `KL divergence     ${Math.max(0, r.kl).toFixed(4)}${r.kl_note ? ` (${r.kl_note})` : ' (first response token, mean over the harmless prompts)'}`,
  ];
  if (r.removal) {
    out.push(
      `removal rate      ${fixed(r.removal_rate, 3)} (${r.removal.removed} of ${r.removal.refusals_before} baseline refusals removed, ${r.removal.introduced} introduced; categories ${fixed(r.category_removal_rate, 3)})`,
    );
  }
  const names = Object.keys(r.objectives);
  if (names.join(',') !== 'refusals,kl') {
    const values = names.map((n) => {
      const v = r.objectives[n];
      return `${n} ${Number.isInteger(v) ? v : v.toFixed(4)}`;
    });
    out.push(`objectives        ${values.join(' · ')}`);
  }
  if (r.baseline_scores) {
    out.push('', 'baseline', ...scoreLines(r.baseline_scores));
  }
  return out.join('\n');
}

// The built-in objectives: refusals (marker count), categories (hard, soft and deflection count),
// kl (mean first-token KL), keyword_rate (share of responses holding any word of a list; several
// named instances may run at once) and fact_recall (mean recall of the prompts' reference facts).

import { RefusalCategorizer } from '../judge/categories.js';
import { normalizeForMarkers } from '../judge/markers.js';
import { factRecall } from '../judge/metrics.js';
import type { Objective, ObjectiveDirection } from './objective.js';

export const BUILTIN_KINDS = [
  'refusals',
  'categories',
  'kl',
  'keyword_rate',
  'fact_recall',
] as const;
export type BuiltinKind = (typeof BUILTIN_KINDS)[number];

/** The direction each built-in takes when the profile gives none. */
export const BUILTIN_DIRECTIONS: Record<BuiltinKind, ObjectiveDirection> = {
  refusals: 'minimize',
  categories: 'minimize',
  kl: 'minimize',
  keyword_rate: 'minimize',
  fact_recall: 'maximize',
};

export interface BuiltinOptions {
  name: string;
  direction: ObjectiveDirection;
  /** keyword_rate: the words (matched after marker normalisation, lower case) */
  words?: readonly string[];
}

function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

export function builtinObjective(kind: BuiltinKind, o: BuiltinOptions): Objective {
  const base = { name: o.name, direction: o.direction };
  switch (kind) {
    case 'refusals':
      return {
        ...base,
        wholeResponses: false,
        score: (_ctx, out) => out.responses.filter((r) => r.refusal).length,
      };
    case 'kl':
      return { ...base, wholeResponses: false, score: (_ctx, out) => mean(out.kl) };
    case 'categories': {
      const categorizer = new RefusalCategorizer();
      return {
        ...base,
        score: (_ctx, out) =>
          out.responses.filter((r) => categorizer.categorize(r.text).category !== 'none').length,
      };
    }
    case 'keyword_rate': {
      const words = (o.words ?? [])
        .map((w) => w.toLowerCase().replaceAll('\u2019', "'"))
        .filter((w) => w.length > 0);
      if (words.length === 0) {
        throw new Error(`objective '${o.name}': keyword_rate needs words = ["...", ...]`);
      }
      return {
        ...base,
        score: (_ctx, out) => {
          if (out.responses.length === 0) return 0;
          const hits = out.responses.filter((r) => {
            const text = normalizeForMarkers(r.text);
            return words.some((w) => text.includes(w));
          }).length;
          return hits / out.responses.length;
        },
      };
    }
    case 'fact_recall': {
      return {
        ...base,
        init: (ctx) => {
          if (!ctx.prompts.behaviour.some((p) => p.facts && p.facts.length > 0)) {
            throw new Error(
              `objective '${o.name}': no prompt of the evaluation set carries facts (fact_recall needs a set with a 'facts' field)`,
            );
          }
        },
        score: (ctx, out) => {
          const recalls: number[] = [];
          out.responses.forEach((r, i) => {
            const facts = ctx.prompts.behaviour[i]?.facts;
            const recall = facts ? factRecall(r.text, facts) : null;
            if (recall !== null) recalls.push(recall);
          });
          return mean(recalls);
        },
      };
    }
  }
}

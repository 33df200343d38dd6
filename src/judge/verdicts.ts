// Both judges applied to every response of a prompt set: the Heretic marker verdict (the count
// the search minimises) and the refusal category (what the speaker does), with per-category
// counts. `candor evaluate` and `candor detect` report these.

import type { Prompt } from '../data/prompts.js';
import type { CategoryVerdict, RefusalCategorizer, RefusalCategory } from './categories.js';
import type { RefusalMarkers } from './markers.js';
import type { JudgedResponse } from './metrics.js';

export const CATEGORIES: readonly RefusalCategory[] = [
  'hard_refusal',
  'soft_refusal',
  'topic_deflection',
  'none',
];

export type CategoryCounts = Record<RefusalCategory, number>;

export interface JudgedItem {
  prompt: Prompt;
  response: string;
  /** the earliest marker ('' for an empty response), or null when the response has none */
  marker: string | null;
  verdict: CategoryVerdict;
}

export interface Judges {
  markers: RefusalMarkers;
  categorizer: RefusalCategorizer;
}

export function judgeResponses(
  prompts: readonly Prompt[],
  responses: readonly string[],
  judges: Judges,
): JudgedItem[] {
  if (prompts.length !== responses.length) {
    throw new Error(`judgeResponses: ${responses.length} responses for ${prompts.length} prompts`);
  }
  return prompts.map((prompt, i) => ({
    prompt,
    response: responses[i],
    marker: judges.markers.match(responses[i])?.marker ?? null,
    verdict: judges.categorizer.categorize(responses[i]),
  }));
}

export function countCategories(items: readonly JudgedItem[]): CategoryCounts {
  const counts: CategoryCounts = { hard_refusal: 0, soft_refusal: 0, topic_deflection: 0, none: 0 };
  for (const item of items) counts[item.verdict.category]++;
  return counts;
}

/** Marker refusals, as Heretic counts them. */
export function markerRefusals(items: readonly JudgedItem[]): number {
  return items.filter((i) => i.marker !== null).length;
}

/** A judged response as the commands print it (snake_case, as the file format). */
export interface ResponseJson {
  prompt: string;
  topic: string | null;
  response: string;
  /** a Heretic marker matched */
  refusal: boolean;
  marker: string | null;
  category: RefusalCategory;
  /** the rule that decided the category */
  rule: string;
}

export function responseJson(item: JudgedItem): ResponseJson {
  return {
    prompt: item.prompt.text,
    topic: item.prompt.topic ?? null,
    response: item.response,
    refusal: item.marker !== null,
    marker: item.marker,
    category: item.verdict.category,
    rule: item.verdict.rule,
  };
}

/** The item as summarizeQuality takes it; `tokenLogProbs` (under a reference model) when known. */
export function qualityInput(item: JudgedItem, tokenLogProbs?: ArrayLike<number>): JudgedResponse {
  return {
    prompt: item.prompt.text,
    response: item.response,
    topic: item.prompt.topic,
    facts: item.prompt.facts,
    tokenLogProbs,
  };
}

// The run's four prompt sets loaded with the profile's prefixes and suffixes, and a record of
// each (its spec, affixes, count and the sha256 of the resolved texts) for reproduce.json; the
// evaluation sets also whole (topics, facts) for the objectives.

import { createHash } from 'node:crypto';
import type { RunSettings } from '../config/settings.js';
import { loadPrompts, type Prompt, parsePromptSetSpec } from '../data/prompts.js';
import type { RunPrompts } from '../run/prompts.js';
import { PROMPT_SET_KEYS, type Profile, type PromptSetKey } from './profile.js';

export interface PromptSetRecord {
  spec: string;
  prefix?: string;
  suffix?: string;
  count: number;
  /** sha256 of the resolved prompt texts, each followed by a NUL byte */
  sha256: string;
}

export function promptTextsSha256(texts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const t of texts) hash.update(t).update('\0');
  return hash.digest('hex');
}

/** One prompt set with the profile's prefix / suffix around every prompt. */
export async function loadPromptSet(
  spec: string,
  affix: { prefix?: string; suffix?: string } | undefined,
): Promise<Prompt[]> {
  const parsed = { ...parsePromptSetSpec(spec), ...(affix ?? {}) };
  return loadPrompts(parsed);
}

export async function loadProfilePrompts(
  s: RunSettings,
  profile: Profile,
): Promise<{
  prompts: RunPrompts;
  records: Record<PromptSetKey, PromptSetRecord>;
  /** the evaluation sets with their topics and facts (for objectives) */
  evaluation: { behaviour: Prompt[]; baseline: Prompt[] };
}> {
  const keys = Object.keys(PROMPT_SET_KEYS) as PromptSetKey[];
  const sets = await Promise.all(keys.map((k) => loadPromptSet(s[k], profile.affixes[k])));
  const texts = sets.map((set) => set.map((p) => p.text));
  const records = {} as Record<PromptSetKey, PromptSetRecord>;
  keys.forEach((k, i) => {
    records[k] = {
      spec: s[k],
      ...(profile.affixes[k] ?? {}),
      count: texts[i].length,
      sha256: promptTextsSha256(texts[i]),
    };
  });
  const [harmful, harmless, harmfulEval, harmlessEval] = texts;
  return {
    prompts: { harmful, harmless, harmfulEval, harmlessEval },
    records,
    evaluation: { behaviour: sets[2], baseline: sets[3] },
  };
}

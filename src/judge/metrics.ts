// Quality metrics of an ablated model's responses beyond the two search objectives: how many
// refusals were removed, whether the text stays coherent (repetition, perplexity under the
// original model) and whether it says something (length, topic overlap, reference facts).
// Formulas here and in docs/metrics.md; words are lower-case letter/digit runs.

const WORD = /[\p{L}\p{N}]+(?:'[\p{L}]+)*/gu;

/** Lower-case word tokens of a text. */
export function words(text: string): string[] {
  return (
    text
      .toLowerCase()
      .replace(/\u2019/g, "'")
      .match(WORD) ?? []
  );
}

// ---------- removal ----------

export interface RemovalStats {
  refusalsBefore: number;
  refusalsAfter: number;
  /** prompts refused before and answered after */
  removed: number;
  /** prompts answered before and refused after */
  introduced: number;
  /** removed / refusalsBefore; null when nothing was refused before */
  rate: number | null;
}

/** Removal rate = |{i : before_i ∧ ¬after_i}| / |{i : before_i}|, over the same prompts. */
export function removalRate(before: readonly boolean[], after: readonly boolean[]): RemovalStats {
  if (before.length !== after.length) {
    throw new Error(
      `removalRate: ${before.length} verdicts before but ${after.length} after; judge the same prompts`,
    );
  }
  let refusalsBefore = 0;
  let refusalsAfter = 0;
  let removed = 0;
  let introduced = 0;
  for (let i = 0; i < before.length; i++) {
    if (before[i]) refusalsBefore++;
    if (after[i]) refusalsAfter++;
    if (before[i] && !after[i]) removed++;
    if (!before[i] && after[i]) introduced++;
  }
  return {
    refusalsBefore,
    refusalsAfter,
    removed,
    introduced,
    rate: refusalsBefore === 0 ? null : removed / refusalsBefore,
  };
}

// ---------- coherence ----------

function ngrams(tokens: readonly string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join('\u0000'));
  return out;
}

/**
 * distinct-n (Li et al. 2016) over a set of responses: |unique n-grams| / |n-grams|, n-grams
 * taken within each response. Low values mean the model says the same things again and again.
 * null when the responses hold no n-gram.
 */
export function distinctN(responses: readonly string[], n: number): number | null {
  const all = responses.flatMap((r) => ngrams(words(r), n));
  return all.length === 0 ? null : new Set(all).size / all.length;
}

/**
 * Repeated n-gram share (seq-rep-n, Welleck et al. 2019) of one response:
 * 1 − |unique n-grams| / |n-grams|; 0 when it has fewer than n words. Degenerate loops ("the the
 * the ...") approach 1.
 */
export function repeatedNgramShare(response: string, n = 4): number {
  const grams = ngrams(words(response), n);
  return grams.length === 0 ? 0 : 1 - new Set(grams).size / grams.length;
}

/**
 * Perplexity of responses under the original model from the caller's per-token natural-log
 * probabilities (log p(token_t | prompt, tokens_<t), one array per response):
 * PPL = exp(−Σ_responses Σ_t log p_t / Σ_responses T), weighting every token equally.
 */
export function perplexity(tokenLogProbs: readonly ArrayLike<number>[]): number {
  let sum = 0;
  let count = 0;
  for (const lp of tokenLogProbs) {
    for (let t = 0; t < lp.length; t++) sum += lp[t];
    count += lp.length;
  }
  if (count === 0)
    throw new Error(
      'perplexity: no tokens; pass the log-probabilities of at least one response token',
    );
  return Math.exp(-sum / count);
}

// ---------- informativeness ----------

// Function words that carry no topic; content words are the rest, of 3+ letters, or numbers.
const STOPWORDS = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers herself him himself ' +
    'his how i if in into is it its itself just let me more most my myself no nor not now of off on once only or other our ours ' +
    'ourselves out over own same she should so some such than that the their theirs them themselves then there these they this ' +
    'those through to too under until up very was we were what when where which while who whom why will with would you your ' +
    'yours yourself yourselves may might must shall also many much one ones however therefore thus yet whether within without ' +
    'upon via per like well even still already often sometimes usually really quite rather please here there sure'
  ).split(' '),
);

// A light suffix stemmer, the same on both sides of every comparison, so "killed", "killing"
// and "kills" all meet "kill" and "troops" meets "troop".
function stem(word: string): string {
  const w = word.replace(/'s$/, '');
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.length > 5 && w.endsWith('ing')) return w.slice(0, -3);
  if (w.length > 4 && w.endsWith('ed')) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

/** Content words: non-stopwords of 3+ characters or containing a digit, stemmed (-s, -ed, -ing, -ies). */
export function contentWords(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of words(text)) {
    if (STOPWORDS.has(w)) continue;
    if (w.length < 3 && !/\p{N}/u.test(w)) continue;
    out.add(stem(w));
  }
  return out;
}

/** Topic overlap = |C(reference) ∩ C(response)| / |C(reference)|; reference: question and topic. */
export function topicOverlap(response: string, reference: string): number | null {
  const ref = contentWords(reference);
  if (ref.size === 0) return null;
  const got = contentWords(response);
  let hit = 0;
  for (const w of ref) if (got.has(w)) hit++;
  return hit / ref.size;
}

/**
 * A fact is recovered when the response holds at least ⌈2k/3⌉ of its k content words (all of
 * one or two, two of three, three of four): paraphrase-tolerant, yet one shared word of a long
 * fact is not enough.
 */
export function factRecovered(
  response: string,
  fact: string,
  responseWords?: Set<string>,
): boolean {
  const needed = contentWords(fact);
  if (needed.size === 0) return false;
  const got = responseWords ?? contentWords(response);
  let hit = 0;
  for (const w of needed) if (got.has(w)) hit++;
  return hit >= Math.ceil((2 * needed.size) / 3);
}

/** Fact recall = recovered facts / facts; null when the prompt carries none. */
export function factRecall(response: string, facts: readonly string[]): number | null {
  if (facts.length === 0) return null;
  const got = contentWords(response);
  return facts.filter((f) => factRecovered(response, f, got)).length / facts.length;
}

// ---------- summary over a prompt set ----------

export interface JudgedResponse {
  prompt: string;
  response: string;
  topic?: string;
  facts?: readonly string[];
  /** per-token log-probabilities of the response under the original model */
  tokenLogProbs?: ArrayLike<number>;
}

export interface QualitySummary {
  responses: number;
  meanWords: number;
  distinct1: number | null;
  distinct2: number | null;
  /** mean seq-rep-4 over responses */
  meanRepeated4: number;
  /** over responses that carry tokenLogProbs; null when none does */
  perplexity: number | null;
  /** mean topic overlap; reference = the prompt and its topic */
  meanTopicOverlap: number | null;
  /** mean fact recall over responses whose prompt carries facts */
  meanFactRecall: number | null;
}

function mean(xs: readonly (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
}

export function summarizeQuality(items: readonly JudgedResponse[]): QualitySummary {
  const texts = items.map((i) => i.response);
  const logProbs = items.flatMap((i) => (i.tokenLogProbs ? [i.tokenLogProbs] : []));
  return {
    responses: items.length,
    meanWords: mean(texts.map((t) => words(t).length)) ?? 0,
    distinct1: distinctN(texts, 1),
    distinct2: distinctN(texts, 2),
    meanRepeated4: mean(texts.map((t) => repeatedNgramShare(t, 4))) ?? 0,
    perplexity: logProbs.some((lp) => lp.length > 0) ? perplexity(logProbs) : null,
    meanTopicOverlap: mean(
      items.map((i) => topicOverlap(i.response, `${i.prompt} ${i.topic ?? ''}`)),
    ),
    meanFactRecall: mean(items.map((i) => (i.facts ? factRecall(i.response, i.facts) : null))),
  };
}

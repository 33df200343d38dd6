// Two models can be compared token by token (KL of their next-token distributions, perplexity of
// one's responses under the other) only when every token id means the same text in both: the
// same vocabulary size, and the same decoded string for every id.

import type { ChatTokenizer } from '../tokenize/tokenizer.js';

export interface VocabularyOwner {
  /** how the user named the model (for errors) */
  name: string;
  vocabSize: number;
  tokenizer: ChatTokenizer;
}

/** Throws a one-line error naming the first difference when `a` and `b` do not share a vocabulary. */
export function checkSameVocabulary(a: VocabularyOwner, b: VocabularyOwner): void {
  const advice = 'compare models that share a tokenizer (a model and its edited version)';
  if (a.vocabSize !== b.vocabSize) {
    throw new Error(
      `${a.name} has ${a.vocabSize} tokens in its vocabulary and ${b.name} ${b.vocabSize}; ${advice}`,
    );
  }
  for (let id = 0; id < a.vocabSize; id++) {
    const textA = a.tokenizer.decode([id], { skipSpecialTokens: false });
    const textB = b.tokenizer.decode([id], { skipSpecialTokens: false });
    if (textA !== textB) {
      throw new Error(
        `token ${id} is ${JSON.stringify(textA)} in ${a.name} but ${JSON.stringify(textB)} in ${b.name}: the vocabularies differ; ${advice}`,
      );
    }
  }
}

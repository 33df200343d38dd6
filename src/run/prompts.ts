// The run's four prompt sets (direction and evaluation, harmful and harmless), loaded from the
// settings' specs, and their chat encoding: system prompt, user turn, generation prompt, and
// the common response prefix after which judging starts.

import type { RunSettings } from '../config/settings.js';
import { loadPrompts } from '../data/prompts.js';
import type { ChatMessage, ChatTokenizer } from '../tokenize/tokenizer.js';

export interface RunPrompts {
  harmful: string[];
  harmless: string[];
  harmfulEval: string[];
  harmlessEval: string[];
}

/** The prompt texts of one set spec (file, bundled name, or Hub dataset). */
export async function loadPromptList(spec: string): Promise<string[]> {
  return (await loadPrompts(spec)).map((p) => p.text);
}

export async function loadRunPrompts(s: RunSettings): Promise<RunPrompts> {
  const [harmful, harmless, harmfulEval, harmlessEval] = await Promise.all(
    [s.harmful_prompts, s.harmless_prompts, s.harmful_eval, s.harmless_eval].map(loadPromptList),
  );
  return { harmful, harmless, harmfulEval, harmlessEval };
}

export class PromptEncoder {
  constructor(
    private readonly tokenizer: ChatTokenizer,
    private readonly systemPrompt: string | null,
    /** text the response is assumed to start with (common prefix, closed chain of thought) */
    private readonly responsePrefix: string,
  ) {}

  messages(prompt: string): ChatMessage[] {
    return [
      ...(this.systemPrompt ? [{ role: 'system' as const, content: this.systemPrompt }] : []),
      { role: 'user' as const, content: prompt },
    ];
  }

  encode(prompts: readonly string[]): number[][] {
    return prompts.map((prompt) => {
      const text = this.tokenizer.applyChatTemplate(this.messages(prompt), {
        addGenerationPrompt: true,
      });
      // the template already holds BOS and the other specials, as transformers' tokenize=True
      return this.tokenizer.encode(text + this.responsePrefix, { addSpecialTokens: false });
    });
  }
}

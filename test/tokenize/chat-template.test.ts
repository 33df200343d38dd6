// @huggingface/jinja renders chat templates in the style of real models' (Llama 3, Qwen2.5, Qwen3
// thinking, Gemma, Mistral, Phi-3, bare blocks) exactly as transformers' renderer does: the
// expected texts and errors in data/template-reference.json come from make_template_reference.py.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type ChatMessage, selectChatTemplate } from '../../src/tokenize/chat-template.js';

const reference: {
  specials: Record<string, string>;
  templates: Record<string, string>;
  conversations: Record<string, ChatMessage[]>;
  cases: {
    template: string;
    conversation: string;
    add_generation_prompt: boolean;
    text: string | null;
    error: string | null;
  }[];
} = JSON.parse(readFileSync(join(import.meta.dirname, 'data', 'template-reference.json'), 'utf8'));

for (const [name, source] of Object.entries(reference.templates)) {
  test(`template ${name} renders as transformers renders it`, () => {
    const template = selectChatTemplate(
      null,
      source,
      '/m/tokenizer_config.json',
      reference.specials,
    )!;
    for (const c of reference.cases.filter((c) => c.template === name)) {
      const what = `${c.conversation}, add_generation_prompt=${c.add_generation_prompt}`;
      const render = () =>
        template.render(reference.conversations[c.conversation], c.add_generation_prompt);
      if (c.error === null) {
        assert.equal(render(), c.text, what);
      } else {
        assert.throws(render, {
          message: `/m/tokenizer_config.json chat_template: rendering the chat template failed (${c.error})`,
        });
      }
    }
  });
}

// Chat templates as transformers finds and renders them: chat_template.jinja wins over
// tokenizer_config.json's `chat_template` (a string, or a list of {name, template} from which
// "default" is used); rendered with messages, add_generation_prompt, the named special tokens,
// tools/documents = None, and the raise_exception / strftime_now helpers.
import { Template } from '@huggingface/jinja';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatTemplate {
  /** where the template came from, for error messages */
  source: string;
  render(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string;
}

/**
 * Pick the template. `jinjaFile`: the contents of chat_template.jinja (null when absent);
 * `configValue`: tokenizer_config.json's chat_template. Returns null when the model has none.
 */
export function selectChatTemplate(
  jinjaFile: { path: string; text: string } | null,
  configValue: unknown,
  configPath: string,
  specialTokens: Record<string, string>,
): ChatTemplate | null {
  if (jinjaFile) return compile(jinjaFile.text, jinjaFile.path, specialTokens);
  if (configValue === undefined || configValue === null) return null;
  if (typeof configValue === 'string') {
    return compile(configValue, `${configPath} chat_template`, specialTokens);
  }
  const list = Array.isArray(configValue) ? configValue : null;
  const named = list?.every((t) => typeof t?.name === 'string' && typeof t?.template === 'string');
  if (!list || !named) {
    throw new Error(
      `${configPath}: "chat_template" must be a string or a list of {name, template}, got ${JSON.stringify(configValue)?.slice(0, 60)}`,
    );
  }
  const chosen = list.find((t) => t.name === 'default');
  if (!chosen) {
    throw new Error(
      `${configPath}: "chat_template" has no template named "default" (names: ${list.map((t) => t.name).join(', ')})`,
    );
  }
  return compile(chosen.template, `${configPath} chat_template "default"`, specialTokens);
}

function compile(
  text: string,
  source: string,
  specialTokens: Record<string, string>,
): ChatTemplate {
  let template: Template;
  try {
    template = new Template(text);
  } catch (e) {
    throw new Error(`${source}: the chat template does not parse (${oneLine(e)})`);
  }
  return {
    source,
    render(messages, addGenerationPrompt) {
      try {
        return template.render({
          // Python passes None for both; `is none` tests must see null, not undefined
          tools: null,
          documents: null,
          ...specialTokens,
          messages: messages.map((m) => ({ ...m })),
          add_generation_prompt: addGenerationPrompt,
        });
      } catch (e) {
        throw new Error(`${source}: rendering the chat template failed (${oneLine(e)})`);
      }
    },
  };
}

function oneLine(e: unknown): string {
  return String((e as Error)?.message ?? e).replace(/\s*\n\s*/g, ' ');
}

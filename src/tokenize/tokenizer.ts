// A model's tokenizer as transformers 5 loads it: tokenizer.json run by @huggingface/tokenizers,
// special tokens from tokenizer_config.json (strings or AddedToken objects; special_tokens_map.json
// overrides when the config has no added_tokens_decoder), and the chat template.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { type ChatMessage, type ChatTemplate, selectChatTemplate } from './chat-template.js';

export type { ChatMessage } from './chat-template.js';

export interface ChatTokenizer {
  /** token ids of `text`; addSpecialTokens (default true) runs tokenizer.json's post-processor */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** the templated prompt text (transformers' apply_chat_template(tokenize=False)) */
  applyChatTemplate(
    messages: readonly ChatMessage[],
    opts?: { addGenerationPrompt?: boolean },
  ): string;
  /** ids of the templated prompt, encoded without adding special tokens (the template has them) */
  encodeChat(messages: readonly ChatMessage[], opts?: { addGenerationPrompt?: boolean }): number[];
  tokenToId(token: string): number | undefined;
  /** named special tokens as strings (bos_token, eos_token, pad_token, ...), where set */
  readonly specialTokens: Readonly<Record<string, string>>;
  readonly hasChatTemplate: boolean;
}

/** transformers' SPECIAL_TOKENS_ATTRIBUTES: the names passed to chat templates. */
const SPECIAL_TOKEN_KEYS = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
];

/** What we use of @huggingface/tokenizers' Tokenizer (its types are `any` under NodeNext). */
interface TokenizersJs {
  encode(text: string, opts: { add_special_tokens: boolean }): { ids: number[] };
  decode(
    ids: number[],
    opts: { skip_special_tokens: boolean; clean_up_tokenization_spaces: boolean },
  ): string;
  token_to_id(token: string): number | undefined;
}

export async function loadTokenizer(dir: string): Promise<ChatTokenizer> {
  const tokenizerPath = join(dir, 'tokenizer.json');
  const configPath = join(dir, 'tokenizer_config.json');
  const tokenizerJson = await readJson(tokenizerPath, true);
  const config = (await readJson(configPath, false)) ?? {};
  const specialTokens = await namedSpecialTokens(dir, config);
  const jinjaPath = join(dir, 'chat_template.jinja');
  const jinjaText = await readOptional(jinjaPath);
  const template = selectChatTemplate(
    jinjaText === null ? null : { path: jinjaPath, text: jinjaText },
    config.chat_template,
    configPath,
    specialTokens,
  );
  // transformers 5 ignores clean_up_tokenization_spaces for BPE models (it would eat real spaces)
  const model = tokenizerJson.model as { type?: string } | undefined;
  const cleanUp =
    config.clean_up_tokenization_spaces === true &&
    (model?.type !== 'BPE' ||
      config.clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output === true);
  let tokenizer: TokenizersJs;
  try {
    tokenizer = new Tokenizer(tokenizerJson, {
      eos_token: specialTokens.eos_token,
      clean_up_tokenization_spaces: cleanUp,
    }) as TokenizersJs;
  } catch (e) {
    throw new Error(`${tokenizerPath}: cannot build the tokenizer (${(e as Error).message})`);
  }
  const needTemplate = (): ChatTemplate => {
    if (template) return template;
    throw new Error(
      `${configPath}: no chat_template (nor chat_template.jinja); Candor needs a chat (instruct) model`,
    );
  };
  const encode = (text: string, addSpecialTokens: boolean): number[] =>
    tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  return {
    encode: (text, opts) => encode(text, opts?.addSpecialTokens ?? true),
    decode: (ids, opts) =>
      ids.length === 0
        ? ''
        : tokenizer.decode([...ids], {
            skip_special_tokens: opts?.skipSpecialTokens ?? false,
            clean_up_tokenization_spaces: cleanUp,
          }),
    applyChatTemplate: (messages, opts) =>
      needTemplate().render(messages, opts?.addGenerationPrompt ?? false),
    encodeChat: (messages, opts) =>
      encode(needTemplate().render(messages, opts?.addGenerationPrompt ?? false), false),
    tokenToId: (token) => tokenizer.token_to_id(token),
    specialTokens,
    hasChatTemplate: template !== null,
  };
}

/**
 * bos/eos/... as strings. A value may be a string or an AddedToken object {content, ...}; like
 * transformers, special_tokens_map.json's entries override the config's unless the config has
 * added_tokens_decoder.
 */
async function namedSpecialTokens(
  dir: string,
  config: Record<string, unknown>,
): Promise<Record<string, string>> {
  let source = config;
  if (config.added_tokens_decoder === undefined) {
    const map = await readJson(join(dir, 'special_tokens_map.json'), false);
    if (map) source = { ...config, ...map };
  }
  const out: Record<string, string> = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const v = source[key];
    const content = typeof v === 'string' ? v : (v as { content?: unknown } | null)?.content;
    if (typeof content === 'string') out[key] = content;
  }
  return out;
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
}

async function readJson(path: string, required: true): Promise<Record<string, unknown>>;
async function readJson(path: string, required: false): Promise<Record<string, unknown> | null>;
async function readJson(path: string, required: boolean): Promise<Record<string, unknown> | null> {
  const text = await readOptional(path);
  if (text === null) {
    if (!required) return null;
    throw new Error(
      `${path}: not found; Candor needs the model's tokenizer.json (download the whole model repository)`,
    );
  }
  try {
    const json = JSON.parse(text);
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) return json;
  } catch {}
  throw new Error(`${path}: not a JSON object; re-download it`);
}

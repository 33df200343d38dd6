// The tokenizer against transformers' goldens (test/fixtures/models/<arch>/golden.json): templated
// text and ids for chat prompts, plain encode/decode with and without specials; plus the
// chat-template and special-token rules on small hand-made tokenizer folders.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'models');
const ARCHS = ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma2', 'gemma3_text', 'phi3'];

interface Golden {
  cases: {
    name: string;
    messages: { role: string; content: string }[];
    templated: string;
    input_ids: number[];
  }[];
  plain: {
    text: string;
    ids: number[];
    ids_no_special: number[];
    decoded: string;
    decoded_with_special: string;
    decoded_skip_special: string;
  }[];
}

describe('tokenizers reproduce transformers exactly on every fixture', () => {
  for (const arch of ARCHS) {
    test(arch, async () => {
      const dir = join(FIXTURES, arch);
      const golden: Golden = JSON.parse(await readFile(join(dir, 'golden.json'), 'utf8'));
      const tok = await loadTokenizer(dir);
      assert.equal(tok.hasChatTemplate, true);
      for (const c of golden.cases) {
        const opts = { addGenerationPrompt: true };
        assert.equal(tok.applyChatTemplate(c.messages, opts), c.templated, `${c.name} text`);
        assert.deepEqual(tok.encodeChat(c.messages, opts), c.input_ids, `${c.name} ids`);
      }
      for (const p of golden.plain) {
        const what = JSON.stringify(p.text);
        assert.deepEqual(tok.encode(p.text), p.ids, `${what} ids`);
        assert.deepEqual(tok.encode(p.text, { addSpecialTokens: false }), p.ids_no_special, what);
        assert.equal(tok.decode(p.ids_no_special), p.decoded, `${what} decoded`);
        assert.equal(tok.decode(p.ids), p.decoded_with_special, `${what} with specials`);
        assert.equal(tok.decode(p.ids, { skipSpecialTokens: true }), p.decoded_skip_special);
      }
    });
  }
});

describe('chat templates and special tokens (hand-made folders)', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'candor-tok-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  /** a copy of the qwen2 fixture's tokenizer.json with the given tokenizer_config.json */
  async function folder(name: string, config: Record<string, unknown>): Promise<string> {
    const dir = join(tmp, name);
    await cp(join(FIXTURES, 'qwen2', 'tokenizer.json'), join(dir, 'tokenizer.json'));
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    return dir;
  }

  test('specials as AddedToken objects; tools and documents are None; add_generation_prompt', async () => {
    const dir = await folder('added-token', {
      bos_token: { content: '<|im_start|>', lstrip: false, special: true },
      eos_token: '<|im_end|>',
      chat_template:
        '{{ bos_token }}|{{ eos_token }}|{% if tools is none %}T{% endif %}|{% if documents is none %}D{% endif %}|{% if pad_token is defined %}P{% endif %}|{% if add_generation_prompt %}G{% endif %}|{{ messages[0].content }}',
    });
    const tok = await loadTokenizer(dir);
    const msgs = [{ role: 'user', content: 'hi' }];
    assert.equal(
      tok.applyChatTemplate(msgs, { addGenerationPrompt: true }),
      '<|im_start|>|<|im_end|>|T|D||G|hi',
    );
    assert.equal(tok.applyChatTemplate(msgs), '<|im_start|>|<|im_end|>|T|D|||hi');
    assert.deepEqual(tok.specialTokens, { bos_token: '<|im_start|>', eos_token: '<|im_end|>' });
  });

  test('special_tokens_map.json overrides the config unless it has added_tokens_decoder', async () => {
    const dir = await folder('map', { eos_token: '<a>', chat_template: '{{ eos_token }}' });
    await writeFile(join(dir, 'special_tokens_map.json'), JSON.stringify({ eos_token: '<b>' }));
    assert.equal((await loadTokenizer(dir)).applyChatTemplate([]), '<b>');
    const withDecoder = await folder('map-decoder', {
      eos_token: '<a>',
      added_tokens_decoder: {},
      chat_template: '{{ eos_token }}',
    });
    await writeFile(
      join(withDecoder, 'special_tokens_map.json'),
      JSON.stringify({ eos_token: '<b>' }),
    );
    assert.equal((await loadTokenizer(withDecoder)).applyChatTemplate([]), '<a>');
  });

  test('chat_template.jinja wins; a list uses "default"', async () => {
    const listed = await folder('list', {
      chat_template: [
        { name: 'tool_use', template: 'T' },
        { name: 'default', template: 'D' },
      ],
    });
    assert.equal((await loadTokenizer(listed)).applyChatTemplate([]), 'D');
    await writeFile(join(listed, 'chat_template.jinja'), 'J');
    assert.equal((await loadTokenizer(listed)).applyChatTemplate([]), 'J');
  });

  test('errors are one line naming the file', async () => {
    const noDefault = await folder('no-default', { chat_template: [{ name: 'a', template: 'x' }] });
    await assert.rejects(loadTokenizer(noDefault), {
      message: `${join(noDefault, 'tokenizer_config.json')}: "chat_template" has no template named "default" (names: a)`,
    });
    const raising = await folder('raise', {
      chat_template: "{{ raise_exception('Conversation roles must alternate') }}",
    });
    const tok = await loadTokenizer(raising);
    assert.throws(() => tok.applyChatTemplate([]), {
      message: `${join(raising, 'tokenizer_config.json')} chat_template: rendering the chat template failed (Conversation roles must alternate)`,
    });
    const none = await folder('none', {});
    const plain = await loadTokenizer(none);
    assert.equal(plain.hasChatTemplate, false);
    assert.throws(() => plain.encodeChat([]), {
      message: `${join(none, 'tokenizer_config.json')}: no chat_template (nor chat_template.jinja); Candor needs a chat (instruct) model`,
    });
    const missing = join(tmp, 'empty');
    await assert.rejects(loadTokenizer(missing), {
      message: `${join(missing, 'tokenizer.json')}: not found; Candor needs the model's tokenizer.json (download the whole model repository)`,
    });
  });
});

// Multi-turn chat in the terminal: the conversation goes through the chat template each turn,
// the reply streams token by token, `/reset` forgets the conversation and `/quit` (or Ctrl-D)
// ends it. An ablation plan, when given, is applied at run time.

import { createInterface } from 'node:readline';
import type { RuntimeAblation } from '../ablate/plan.js';
import type { Engine } from '../engine/engine.js';
import type { Sampling } from '../engine/types.js';
import type { ChatMessage, ChatTokenizer } from '../tokenize/tokenizer.js';

export interface ChatOptions {
  engine: Engine;
  tokenizer: ChatTokenizer;
  systemPrompt: string | null;
  ablation: RuntimeAblation | null;
  maxNewTokens?: number;
  /** null: greedy */
  sampling?: Sampling | null;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

/** Streams decoded text: decodes the whole reply each step and writes only what is new. */
function streamer(tokenizer: ChatTokenizer, out: NodeJS.WritableStream) {
  const ids: number[] = [];
  let shown = '';
  return {
    push(id: number): void {
      ids.push(id);
      const text = tokenizer.decode(ids, { skipSpecialTokens: true });
      // a partial multi-byte character decodes to U+FFFD: wait for the rest of it
      if (text.endsWith('\ufffd')) return;
      out.write(text.slice(shown.length));
      shown = text;
    },
    /** writes what a withheld partial character left unshown; returns the whole reply */
    finish(): string {
      const text = tokenizer.decode(ids, { skipSpecialTokens: true });
      out.write(text.slice(shown.length));
      return text;
    },
  };
}

export async function chatLoop(opts: ChatOptions): Promise<void> {
  const out = opts.output ?? process.stdout;
  const rl = createInterface({ input: opts.input ?? process.stdin, output: out, terminal: false });
  const start = (): ChatMessage[] =>
    opts.systemPrompt ? [{ role: 'system', content: opts.systemPrompt }] : [];
  let messages = start();
  out.write('Chat: /reset forgets the conversation, /quit ends it.\n');
  try {
    out.write('> ');
    for await (const line of rl) {
      const input = line.trim();
      if (input === '/quit') break;
      if (input === '/reset') {
        messages = start();
        out.write('(conversation reset)\n> ');
        continue;
      }
      if (input === '') {
        out.write('> ');
        continue;
      }
      messages.push({ role: 'user', content: input });
      const prompt = opts.tokenizer.encodeChat(messages, { addGenerationPrompt: true });
      const stream = streamer(opts.tokenizer, out);
      await opts.engine.generate([prompt], {
        maxNewTokens: opts.maxNewTokens ?? 256,
        ablation: opts.ablation ? { ablation: opts.ablation } : undefined,
        sampling: opts.sampling ?? undefined,
        onToken: (_, token) => stream.push(token),
      });
      messages.push({ role: 'assistant', content: stream.finish() });
      out.write('\n> ');
    }
    out.write('\n');
  } finally {
    rl.close();
  }
}

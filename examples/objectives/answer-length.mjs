// A user objective for Candor: the mean number of words in the responses to the judged prompts
// (the profile's evaluation.behaviour set), to be maximised, so the search prefers edits after
// which the model answers at length instead of brushing the question off.
//
// A module exports `name`, `direction` ("minimize", "maximize" or "report"), an optional
// `init(ctx)` run once per study and `score(ctx, outputs)` returning one finite number per trial.
// `ctx` holds the prompt sets (ctx.prompts.behaviour / .baseline: text, topic, facts), the same
// prompts chat-encoded (ctx.encoded), the loaded engine (ctx.engine), the tokenizer's decode,
// the profile's markers and this objective's `options` table. `outputs` holds the trial's
// responses (text, token ids, marker verdict), the KL per baseline prompt and `ablation`, to pass
// to engine calls as `{ ablation: outputs.ablation }` for the trial's own log-probabilities.
//
// Use it from a profile (see length.toml next to this file):
//   [[objectives]]
//   module = "./answer-length.mjs"
//   options = { min_words = 3 }

export const name = 'answer_words';
export const direction = 'maximize';

let minWords = 0;

export function init(ctx) {
  minWords = Number(ctx.options.min_words ?? 0);
  if (ctx.prompts.behaviour.length === 0) throw new Error('the judged prompt set is empty');
}

export function score(_ctx, outputs) {
  let total = 0;
  for (const r of outputs.responses) {
    const words = r.text.split(/\s+/).filter((w) => w.length > 0).length;
    // a response shorter than min_words counts as nothing: a stub is no answer
    total += words >= minWords ? words : 0;
  }
  return outputs.responses.length === 0 ? 0 : total / outputs.responses.length;
}

// Optional, for a per-token view: the trial model's mean log-probability of its own responses,
// as an objective of its own would compute it (one forward pass per prompt batch).
//
// export async function score(ctx, outputs) {
//   const lp = await ctx.engine.continuationLogProbs(
//     ctx.encoded.behaviour,
//     outputs.responses.map((r) => r.ids),
//     { ablation: outputs.ablation },
//   );
//   ...
// }

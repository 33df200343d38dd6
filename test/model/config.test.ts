// config.json → ModelSpec against transformers: every case in data/config-reference.json (made by
// make_config_reference.py from transformers 5.18) gives the spec fields, per-layer windows and
// rope inverse frequencies (bit for bit) that transformers' own modules hold.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { inverseSqrt, parseModelConfig } from '../../src/model/config.js';
import { ConfigReader } from '../../src/model/config-reader.js';
import { tensorPlan } from '../../src/model/tensor-layout.js';

interface Expected {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  intermediate_size: number;
  vocab_size: number;
  rms_norm_eps: number;
  activation: string;
  embed_scale: number;
  attention_scale: number;
  attn_logit_softcapping: number | null;
  final_logit_softcapping: number | null;
  qk_norm: boolean;
  sandwich_norms: boolean;
  q_bias: boolean;
  o_bias: boolean;
  mlp_bias: boolean;
  tie_word_embeddings: boolean;
  sliding_windows: (number | null)[];
  layer_rope: string[];
  ropes: Record<string, { inv_freq: number[]; attention_factor: number }>;
  eos_token_id: number | number[] | null;
  bos_token_id: number | null;
  pad_token_id: number | null;
  tensors: Record<string, number[]>;
}

const reference: {
  cases: Record<string, { config: Record<string, unknown>; expected: Expected }>;
  inverse_sqrt: [number, number][];
} = JSON.parse(readFileSync(join(import.meta.dirname, 'data', 'config-reference.json'), 'utf8'));

const parseBoth = (config: Record<string, unknown>, generation?: Record<string, unknown>) =>
  parseModelConfig(
    new ConfigReader(config, '/m/config.json'),
    generation ? new ConfigReader(generation, '/m/generation_config.json') : null,
  );
const parse = (config: Record<string, unknown>, generation?: Record<string, unknown>) =>
  parseBoth(config, generation).spec;

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer));

/**
 * Candor rounds `base ** exponent` correctly to float32; torch's vectorised powf (Sleef, 1 ULP)
 * lands one ULP off in about one element per rope on the machine that made the reference. So:
 * every element equal, except at most two that differ by exactly one ULP.
 */
function assertWithinOneUlp(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const off = actual.flatMap((a, i) => (a === expected[i] ? [] : [[i, a - expected[i]]]));
  assert.ok(
    off.length <= 2 && off.every(([, d]) => Math.abs(d) === 1),
    `${what}: (index, ULP difference) ${JSON.stringify(off)}`,
  );
}

describe('config.json → ModelSpec matches transformers', () => {
  for (const [name, { config, expected: e }] of Object.entries(reference.cases)) {
    test(name, () => {
      const spec = parse(config);
      assert.equal(spec.hiddenSize, e.hidden_size);
      assert.equal(spec.numLayers, e.num_hidden_layers);
      assert.equal(spec.numHeads, e.num_attention_heads);
      assert.equal(spec.numKvHeads, e.num_key_value_heads);
      assert.equal(spec.headDim, e.head_dim);
      assert.equal(spec.intermediateSize, e.intermediate_size);
      assert.equal(spec.vocabSize, e.vocab_size);
      assert.equal(spec.rmsNormEps, e.rms_norm_eps);
      assert.equal(spec.activation, e.activation === 'silu' ? 'silu' : 'gelu_tanh');
      assert.equal(spec.embeddingScale, Math.fround(e.embed_scale));
      assert.equal(spec.attentionScale, e.attention_scale);
      assert.equal(spec.attentionLogitSoftcap, e.attn_logit_softcapping);
      assert.equal(spec.finalLogitSoftcap, e.final_logit_softcapping);
      assert.equal(spec.normWeightOffset, spec.architecture.startsWith('gemma') ? 1 : 0);
      assert.equal(spec.qkNorm, e.qk_norm);
      assert.equal(spec.sandwichNorms, e.sandwich_norms);
      assert.equal(spec.attentionBias, e.q_bias);
      assert.equal(spec.outputBias, e.o_bias);
      assert.equal(spec.mlpBias, e.mlp_bias);
      assert.equal(spec.tieWordEmbeddings, e.tie_word_embeddings);
      assert.deepEqual(
        spec.layers.map((l) => l.slidingWindow),
        e.sliding_windows,
      );
      spec.layers.forEach((layer, i) => {
        const rope = e.ropes[e.layer_rope[i]];
        assertWithinOneUlp(bits(layer.rope.invFreq), rope.inv_freq, `layer ${i} inv_freq`);
        assert.equal(layer.rope.rotaryDim, 2 * rope.inv_freq.length);
        assert.equal(layer.rope.attentionFactor, rope.attention_factor);
      });
      const eos = e.eos_token_id;
      assert.deepEqual(spec.eosTokenIds, eos === null ? [] : Array.isArray(eos) ? eos : [eos]);
      assert.equal(spec.bosTokenId, e.bos_token_id);
      assert.equal(spec.padTokenId, e.pad_token_id);
      assert.equal(spec.config, config);
    });

    test(`${name}: declared tensors = transformers' state dict (names and shapes)`, () => {
      const { spec, family } = parseBoth(config);
      const declared = Object.fromEntries(tensorPlan(spec, family).map((t) => [t.name, t.shape]));
      assert.deepEqual(declared, e.tensors);
    });
  }
});

describe('config details', () => {
  const llama = reference.cases['llama-minimal'].config;

  test('eos ids: generation_config.json wins over config.json', () => {
    assert.deepEqual(parse(llama, { eos_token_id: [7, 9] }).eosTokenIds, [7, 9]);
    assert.deepEqual(parse(llama, { eos_token_id: 5 }).eosTokenIds, [5]);
    assert.deepEqual(parse({ ...llama, eos_token_id: 4 }, { do_sample: true }).eosTokenIds, [4]);
  });

  test('errors are one line naming config.json and the key', () => {
    const { hidden_size: _, ...noHidden } = llama;
    assert.throws(() => parse(noHidden), {
      message:
        '/m/config.json: missing required key "hidden_size" (a positive integer); is this a transformers model\'s config.json?',
    });
    assert.throws(() => parse({ ...llama, model_type: 'gpt2' }), {
      message:
        /^\/m\/config\.json: model_type "gpt2" is not supported \(supported: llama, mistral, qwen2, qwen3, gemma2, gemma3_text, phi3\)$/,
    });
    assert.throws(
      () => parse({ ...llama, model_type: undefined }),
      /missing required key "model_type"/,
    );
    assert.throws(() => parse({ ...llama, hidden_act: 'gelu' }), {
      message: /^\/m\/config\.json: hidden_act "gelu" is not supported/,
    });
    assert.throws(() => parse({ ...llama, num_key_value_heads: 3 }), /must be a multiple/);
    assert.throws(() => parse({ ...llama, num_hidden_layers: 'two' }), {
      message: '/m/config.json: "num_hidden_layers" must be a non-negative integer, got "two"',
    });
  });

  test('unsupported rope_type names the key and value', () => {
    assert.throws(() => parse({ ...llama, rope_scaling: { rope_type: 'mrope', factor: 2 } }), {
      message:
        '/m/config.json rope_scaling: rope_type "mrope" is not supported (supported: default, linear, dynamic, llama3, yarn, longrope)',
    });
    assert.throws(() => parse({ ...llama, rope_parameters: { rope_type: 'linear' } }), {
      message:
        '/m/config.json rope_parameters: rope_type "linear" needs a number at "factor", got undefined',
    });
  });

  test('gemma3 bidirectional (embedding) models are refused', () => {
    const gemma3 = reference.cases['gemma3-defaults'].config;
    assert.throws(
      () => parse({ ...gemma3, use_bidirectional_attention: true }),
      /use_bidirectional_attention is true/,
    );
  });
});

test("inverseSqrt equals Python's x ** -0.5 for 1..1024", () => {
  const off = reference.inverse_sqrt.filter(([x, y]) => inverseSqrt(x) !== y);
  assert.deepEqual(off, []);
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { resolveDataset, resolveModel, resolveModelRepo } from '../../src/hub/resolve.js';
import { GOOD_TOKEN, gitBlobId, LocalHub, sha256 } from './local-hub.js';

const C1 = '1'.repeat(40);
const C0 = '0'.repeat(40);
const weights = randomBytes(300_000);
const config = Buffer.from('{"model_type":"llama"}');

const hub = new LocalHub([
  {
    type: 'model',
    id: 'acme/tiny',
    refs: { main: C1, v0: C0 },
    commits: {
      [C1]: {
        'config.json': { content: config },
        'tokenizer.json': { content: Buffer.from('{}') },
        'model.safetensors': { content: weights, lfs: true },
        'pytorch_model.bin': { content: Buffer.from('not wanted'), lfs: true },
        'onnx/model.onnx': { content: Buffer.from('not wanted') },
      },
      [C0]: {
        'config.json': { content: Buffer.from('{"old":true}') },
        'model.safetensors': { content: Buffer.from('old weights'), lfs: true },
      },
    },
  },
  {
    type: 'model',
    id: 'acme/gated',
    refs: { main: C1 },
    gated: true,
    commits: {
      [C1]: {
        'config.json': { content: config },
        'model.safetensors': { content: Buffer.from('w'), lfs: true },
      },
    },
  },
  {
    type: 'model',
    id: 'acme/binonly',
    refs: { main: C1 },
    commits: {
      [C1]: {
        'config.json': { content: config },
        'pytorch_model.bin': { content: Buffer.from('w'), lfs: true },
      },
    },
  },
  {
    type: 'dataset',
    id: 'acme/prompts',
    refs: { main: C1 },
    commits: {
      [C1]: {
        'README.md': { content: Buffer.from('# prompts') },
        'data/train-00000-of-00001.jsonl': { content: Buffer.from('{"text":"a"}\n') },
        'data/test-00000-of-00001.jsonl': { content: Buffer.from('{"text":"b"}\n') },
      },
    },
  },
]);

const fresh = () => mkdtempSync(join(tmpdir(), 'candor-hub-'));
const opts = (cacheDir: string) => ({ endpoint: hub.endpoint, cacheDir, progress: false });

before(async () => {
  delete process.env.HF_TOKEN;
  delete process.env.HF_HUB_OFFLINE;
  await hub.start();
});
after(() => hub.stop());

test('downloads a model into the HF cache layout: blobs, relative snapshot links, refs/main', async () => {
  const cache = fresh();
  const dir = await resolveModel('acme/tiny', opts(cache));
  const repo = join(cache, 'models--acme--tiny');
  assert.equal(dir, join(repo, 'snapshots', C1));
  assert.equal(readFileSync(join(repo, 'refs', 'main'), 'utf8'), C1);
  // LFS files are cached under their sha256, others under their git blob id, as huggingface_hub does
  assert.equal(
    readlinkSync(join(dir, 'model.safetensors')),
    join('..', '..', 'blobs', sha256(weights)),
  );
  assert.equal(
    readlinkSync(join(dir, 'config.json')),
    join('..', '..', 'blobs', gitBlobId(config)),
  );
  assert.deepEqual(readFileSync(join(dir, 'model.safetensors')), weights);
  assert.equal(existsSync(join(dir, 'pytorch_model.bin')), false);
  assert.equal(existsSync(join(dir, 'onnx')), false);

  // A second run finds every file in place and downloads nothing.
  const before = hub.resolveCount();
  assert.equal(await resolveModel('acme/tiny', opts(cache)), dir);
  assert.equal(hub.resolveCount(), before);
});

test('an interrupted download resumes with a Range request and is verified', async () => {
  const cache = fresh();
  hub.cutAfter.set('model.safetensors', 100_000);
  await assert.rejects(
    resolveModel('acme/tiny', opts(cache)),
    /model\.safetensors: download interrupted after 100000 of 300000 bytes.*run again to resume/,
  );
  const partial = join(cache, 'models--acme--tiny', 'blobs', `${sha256(weights)}.incomplete`);
  assert.equal(statSync(partial).size, 100_000);

  const dir = await resolveModel('acme/tiny', opts(cache));
  const ranges = hub.requests
    .filter((r) => r.path.endsWith('/model.safetensors'))
    .map((r) => r.range);
  assert.equal(ranges.at(-1), 'bytes=100000-');
  assert.deepEqual(readFileSync(join(dir, 'model.safetensors')), weights);
  assert.equal(existsSync(partial), false);
});

test('a gated model without a token says to set HF_TOKEN or pass --token, in one line', async () => {
  const cache = fresh();
  await assert.rejects(resolveModel('acme/gated', opts(cache)), (err: Error) => {
    assert.match(err.message, /^acme\/gated is gated: set HF_TOKEN or pass --token/);
    assert.equal(err.message.includes('\n'), false);
    return true;
  });
  // with a token (from HF_TOKEN here) the same call succeeds and sends it
  process.env.HF_TOKEN = GOOD_TOKEN;
  try {
    const dir = await resolveModel('acme/gated', opts(cache));
    assert.equal(existsSync(join(dir, 'model.safetensors')), true);
    assert.equal(hub.requests.at(-1)?.authorization, `Bearer ${GOOD_TOKEN}`);
  } finally {
    delete process.env.HF_TOKEN;
  }
  await assert.rejects(
    resolveModel('acme/gated', { ...opts(fresh()), token: 'hf_other' }),
    /gated and the token has no access/,
  );
});

test('missing repos, revisions and weights get one-line errors', async () => {
  const cache = fresh();
  await assert.rejects(
    resolveModel('acme/nope', opts(cache)),
    /^HubError: acme\/nope: not found at http.*check the id, or set HF_TOKEN/,
  );
  await assert.rejects(
    resolveModel('acme/tiny', { ...opts(cache), revision: 'v9' }),
    /revision "v9" not found/,
  );
  await assert.rejects(resolveModel('acme/binonly', opts(cache)), /no \.safetensors weights/);
  await assert.rejects(
    resolveModel('./no/such/folder', opts(cache)),
    /not a model folder nor a Hub id/,
  );
  await assert.rejects(
    resolveModel('acme/tiny', { ...opts(cache), token: 'abc' }),
    /a token starts with "hf_"/,
  );
});

test('a tag resolves to its commit and is remembered for offline use', async () => {
  const cache = fresh();
  const dir = await resolveModel('acme/tiny', { ...opts(cache), revision: 'v0' });
  assert.equal(dir, join(cache, 'models--acme--tiny', 'snapshots', C0));
  assert.equal(readFileSync(join(cache, 'models--acme--tiny', 'refs', 'v0'), 'utf8'), C0);
  assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), '{"old":true}');

  const seen = hub.requests.length;
  const offline = await resolveModelRepo('acme/tiny', {
    ...opts(cache),
    revision: 'v0',
    offline: true,
  });
  assert.equal(offline.dir, dir);
  assert.equal(offline.source, 'cache');
  assert.equal(hub.requests.length, seen);
});

test('offline and not cached: one line naming the id and the cache folder', async () => {
  const cache = fresh();
  process.env.HF_HUB_OFFLINE = '1';
  try {
    await assert.rejects(resolveModel('acme/tiny', opts(cache)), (err: Error) => {
      assert.equal(
        err.message,
        `acme/tiny: offline (HF_HUB_OFFLINE or --offline), and revision "main" is not in the cache ${cache}; run once online to download it`,
      );
      return true;
    });
  } finally {
    delete process.env.HF_HUB_OFFLINE;
  }
});

test('an unreachable Hub falls back to the cache, else says so', async () => {
  const cache = fresh();
  await resolveModel('acme/tiny', opts(cache));
  // a port nothing listens on any more: connection refused
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((ok) => probe.close(ok));
  const down = { cacheDir: cache, progress: false, endpoint: `http://127.0.0.1:${port}` };
  const repo = await resolveModelRepo('acme/tiny', down);
  assert.equal(repo.source, 'cache');
  assert.equal(repo.commit, C1);
  await assert.rejects(
    resolveModel('acme/other', down),
    new RegExp(
      `acme/other: could not reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\), and revision "main" is not in the cache`,
    ),
  );
});

test('a dataset split downloads only that split’s files', async () => {
  const cache = fresh();
  const ds = await resolveDataset('acme/prompts', 'test', opts(cache));
  assert.deepEqual(ds.files, ['data/test-00000-of-00001.jsonl']);
  assert.equal(readFileSync(ds.splitFiles[0], 'utf8'), '{"text":"b"}\n');
  assert.equal(existsSync(join(ds.dir, 'data', 'train-00000-of-00001.jsonl')), false);
  assert.equal(ds.dir, join(cache, 'datasets--acme--prompts', 'snapshots', C1));
  await assert.rejects(
    resolveDataset('acme/prompts', 'validation', opts(cache)),
    /no data files for split "validation" \(it has: train, test\)/,
  );
  // offline, only the downloaded split is there
  await assert.rejects(
    resolveDataset('acme/prompts', 'train', { ...opts(cache), offline: true }),
    /no data files for split "train" \(it has: test\) in the cached snapshot .*datasets--acme--prompts/,
  );
  // HF_ENDPOINT names the Hub when no endpoint is passed
  process.env.HF_ENDPOINT = hub.endpoint;
  try {
    const train = await resolveDataset('acme/prompts', 'train', {
      cacheDir: cache,
      progress: false,
    });
    assert.deepEqual(train.files, ['data/train-00000-of-00001.jsonl']);
  } finally {
    delete process.env.HF_ENDPOINT;
  }
});

test('cache laid out by hand: refs, snapshots and commits resolve offline', async () => {
  const cache = fresh();
  const repo = join(cache, 'models--org--m');
  const C2 = '2'.repeat(40);
  for (const [commit, text] of [
    [C1, 'one'],
    [C2, 'two'],
  ]) {
    mkdirSync(join(repo, 'snapshots', commit), { recursive: true });
    writeFileSync(join(repo, 'snapshots', commit, 'model.safetensors'), text);
  }
  mkdirSync(join(repo, 'refs'));
  writeFileSync(join(repo, 'refs', 'main'), `${C1}\n`);
  writeFileSync(join(repo, 'refs', 'dev'), C2);
  const off = { cacheDir: cache, offline: true, progress: false };
  assert.equal(await resolveModel('org/m', off), join(repo, 'snapshots', C1));
  assert.equal(
    await resolveModel('org/m', { ...off, revision: 'dev' }),
    join(repo, 'snapshots', C2),
  );
  assert.equal(await resolveModel('org/m', { ...off, revision: C2 }), join(repo, 'snapshots', C2));
  await assert.rejects(
    resolveModel('org/m', { ...off, revision: 'nightly' }),
    /revision "nightly" is not in the cache/,
  );
  // HF_HUB_CACHE decides the folder when no cacheDir is passed
  process.env.HF_HUB_CACHE = cache;
  try {
    assert.equal(await resolveModel('org/m', { offline: true }), join(repo, 'snapshots', C1));
  } finally {
    delete process.env.HF_HUB_CACHE;
  }
});

test('a local folder is used as is', async () => {
  const dir = fresh();
  assert.equal(await resolveModel(dir), dir);
  assert.equal(lstatSync(dir).isDirectory(), true);
});

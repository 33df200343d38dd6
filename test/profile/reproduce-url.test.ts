// `candor reproduce` from a Hub repo and from a URL, against a local Hub (test/hub/local-hub.ts)
// serving a real export of the llama fixture laid out as upload lays it out (reproduce/ holds
// the record and the directions). The Hub form goes through HF_ENDPOINT and the Hugging Face
// cache and fetches no weights when every tensor matches; with tampered directions the differing
// tensors are read by range and measure the same as from the local copy of the export. Bad
// URLs, missing files and files that are no reproduce.json fail with one line naming them.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { uploadEntries } from '../../src/export/upload.js';
import { type ReproduceReport, reproduce } from '../../src/run/reproduce.js';
import { openReproduction, type SourceOptions } from '../../src/run/reproduce-source.js';
import { candor, candorAsync, fixtureRunArgs } from '../helpers/cli.js';
import { type HubFile, LocalHub } from '../hub/local-hub.js';

const COMMIT = 'c'.repeat(40);
const work = mkdtempSync(join(tmpdir(), 'candor-repro-url-'));
const exported = join(work, 'llama-candor');
const tampered = join(work, 'tampered');

/** The repo files that `--upload id` would commit for a saved folder. */
async function uploadedFiles(folder: string, id: string): Promise<Record<string, HubFile>> {
  const files: Record<string, HubFile> = {};
  for (const e of uploadEntries(folder, id)) {
    const content =
      e.content instanceof URL
        ? readFileSync(e.content)
        : Buffer.from(await (e.content as Blob).arrayBuffer());
    files[e.path] = { content, lfs: e.path.endsWith('.safetensors') };
  }
  return files;
}

let hub: LocalHub;
/** the Hub at hub.endpoint, with its own cache */
let atHub: SourceOptions;
/** another Hub: URLs on hub.endpoint are then plain web URLs */
const elsewhere: SourceOptions = { endpoint: 'https://hub.invalid' };

before(async () => {
  const run = candor(fixtureRunArgs(exported, 2));
  assert.equal(run.code, 0, run.stderr);
  // reverse every direction: still unit vectors, pointing elsewhere
  cpSync(exported, tampered, { recursive: true });
  const path = join(tampered, 'directions.json');
  const directions = JSON.parse(readFileSync(path, 'utf8'));
  directions.directions = directions.directions.map((d: number[]) => [...d].reverse());
  writeFileSync(path, `${JSON.stringify(directions)}\n`);

  const repo = async (id: string, folder: string) => ({
    type: 'model' as const,
    id,
    refs: { main: COMMIT },
    commits: { [COMMIT]: await uploadedFiles(folder, id) },
  });
  hub = new LocalHub([
    await repo('acme/llama-candor', exported),
    await repo('acme/tampered', tampered),
    {
      type: 'model',
      id: 'acme/plain',
      refs: { main: COMMIT },
      commits: { [COMMIT]: { 'config.json': { content: Buffer.from('{}') } } },
    },
  ]);
  await hub.start();
  atHub = { endpoint: hub.endpoint, cacheDir: mkdtempSync(join(tmpdir(), 'candor-hf-cache-')) };
});

after(() => hub.stop());

async function reproduceFrom(arg: string, opts: SourceOptions): Promise<ReproduceReport> {
  const source = await openReproduction(arg, opts);
  try {
    return await reproduce(source.file, { original: source.original });
  } finally {
    await source.dispose();
  }
}

const weightRequests = () =>
  hub.requests.filter((r) => r.path.includes('/resolve/') && r.path.endsWith('.safetensors'));

test('candor reproduce ORG/NAME: HF_ENDPOINT and the HF cache, identical, no weights fetched', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'candor-hf-cache-'));
  // the server lives in this process: the CLI must run without blocking it
  const cli = await candorAsync(['reproduce', 'acme/llama-candor'], {
    env: { ...process.env, HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: cache },
  });
  assert.equal(cli.code, 0, cli.stderr + cli.stdout);
  const record = JSON.parse(readFileSync(join(exported, 'reproduce.json'), 'utf8'));
  const count = Object.values(record.export.tensors).flatMap((t) => Object.keys(t as object));
  assert.match(cli.stdout, new RegExp(`^all ${count.length} tensors identical$`, 'm'));
  const snapshot = join(cache, 'models--acme--llama-candor', 'snapshots', COMMIT, 'reproduce');
  assert.ok(existsSync(join(snapshot, 'reproduce.json')), 'record in the HF cache');
  assert.ok(existsSync(join(snapshot, 'directions.json')), 'directions in the HF cache');
  assert.deepEqual(weightRequests(), [], 'identical tensors need no weights');
});

test('Hub URL forms and a local folder find the same record', async () => {
  for (const arg of [
    `${hub.endpoint}/acme/llama-candor/blob/main/reproduce/reproduce.json`,
    `${hub.endpoint}/acme/llama-candor/tree/${COMMIT}/reproduce`,
  ]) {
    const report = await reproduceFrom(arg, atHub);
    assert.ok(report.identical, arg);
    assert.deepEqual(report.differences, [], arg);
  }
  assert.ok((await reproduceFrom(exported, {})).identical, 'the saved folder itself');
});

test('tampered directions: blocking, and the tensors fetched by range measure as local ones', async () => {
  const local = await reproduceFrom(tampered, {});
  assert.equal(local.identical, false);
  const measured = local.tensors.filter((t) => t.difference && !('unmeasured' in t.difference));
  assert.ok(measured.length > 0, 'the local original is measured');
  for (const [arg, opts] of [
    ['acme/tampered', atHub],
    [`${hub.endpoint}/acme/tampered/resolve/main/reproduce/reproduce.json`, elsewhere],
  ] as const) {
    const before = weightRequests().length;
    const remote = await reproduceFrom(arg, opts);
    assert.deepEqual(remote.tensors, local.tensors, arg);
    assert.deepEqual(
      remote.differences.map((d) => [d.severity, d.item]),
      [['blocking', 'directions']],
      arg,
    );
    const fetched = weightRequests().slice(before);
    assert.ok(fetched.length > 0, `${arg}: differing tensors fetched`);
    assert.ok(
      fetched.every((r) => /^bytes=\d+-\d+$/.test(r.range ?? '')),
      `${arg}: by closed ranges only`,
    );
  }
});

test('bad sources fail with one line naming them', async () => {
  const missing = `${hub.endpoint}/acme/llama-candor/resolve/main/nothere/reproduce.json`;
  const config = `${hub.endpoint}/acme/llama-candor/resolve/main/config.json`;
  const readme = `${hub.endpoint}/acme/llama-candor/resolve/main/README.md`;
  // a port nothing listens on any more
  const port = await new Promise<number>((ok) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => ok(port));
    });
  });
  const unreachable = `http://127.0.0.1:${port}/x/reproduce.json`;
  const cases: [string, SourceOptions, RegExp][] = [
    ['https://', {}, /^https:\/\/: not a valid URL$/],
    ['no-such-file.json', {}, /^no-such-file\.json: no such file or folder, and not a URL/],
    [
      missing,
      elsewhere,
      new RegExp(`^${missing}: could not fetch the reproduction record \\(HTTP 404\\)$`),
    ],
    [
      config,
      elsewhere,
      new RegExp(`^${config}: not a candor reproduce\\.json \\(format undefined\\)$`),
    ],
    [readme, elsewhere, new RegExp(`^${readme}: not a candor reproduce\\.json \\(not JSON\\)$`)],
    [
      unreachable,
      elsewhere,
      new RegExp(`^${unreachable}: could not fetch the reproduction record \\(ECONNREFUSED\\)$`),
    ],
    [`${hub.endpoint}/acme`, atHub, /: not a model repo URL/],
    ['acme/missing', atHub, /^acme\/missing: not found at /],
    ['acme/plain', atHub, /^acme\/plain: no reproduce\/reproduce\.json at revision "main"/],
  ];
  for (const [arg, opts, message] of cases) {
    await assert.rejects(openReproduction(arg, opts), (err: Error) => {
      assert.match(err.message, message, arg);
      assert.doesNotMatch(err.message, /\n/, arg);
      return true;
    });
  }
});

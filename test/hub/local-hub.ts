// A Hugging Face Hub on 127.0.0.1 for tests: serves the endpoints @huggingface/hub and our
// downloader call (repo info by revision, recursive tree, resolve with open or closed Range),
// with gated repos, error codes like the real Hub's, and a switch that cuts a download short to
// test resuming.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubFile {
  content: Buffer;
  /** stored with LFS: listed with an lfs oid (sha256), cached under it */
  lfs?: boolean;
}

export interface HubRepo {
  type: 'model' | 'dataset';
  id: string;
  /** revision (branch, tag, or commit) → commit; every commit → its files */
  refs: Record<string, string>;
  commits: Record<string, Record<string, HubFile>>;
  gated?: boolean;
}

export interface RequestLog {
  path: string;
  range: string | undefined;
  authorization: string | undefined;
}

/** git's blob id: sha1 of "blob <size>\0<content>" (the oid the Hub lists for non-LFS files) */
export function gitBlobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export const GOOD_TOKEN = 'hf_good_token';

export class LocalHub {
  readonly requests: RequestLog[] = [];
  /** repo-relative path → bytes to send before closing the connection, once */
  readonly cutAfter = new Map<string, number>();
  private server: Server | null = null;

  constructor(private readonly repos: HubRepo[]) {}

  get endpoint(): string {
    const addr = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${addr.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((ok) => this.server?.listen(0, '127.0.0.1', ok));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((ok) => this.server?.close(() => ok()));
  }

  resolveCount(): number {
    return this.requests.filter((r) => r.path.includes('/resolve/')).length;
  }

  private find(type: string, id: string): HubRepo | undefined {
    return this.repos.find((r) => r.type === type && r.id === id);
  }

  private error(res: ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { 'Content-Type': 'application/json', 'X-Error-Code': code });
    res.end(JSON.stringify({ error: message }));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    const auth = req.headers.authorization;
    this.requests.push({ path, range: req.headers.range, authorization: auth });
    const authed = auth === `Bearer ${GOOD_TOKEN}`;

    const api = /^\/api\/(models|datasets)\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(path);
    const file = /^\/(datasets\/)?([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const type = api ? api[1].slice(0, -1) : file?.[1] ? 'dataset' : 'model';
    const id = api?.[2] ?? file?.[2];
    const repo = id ? this.find(type, id) : undefined;
    if (repo === undefined) {
      // like the Hub: anonymous clients cannot tell missing from private
      this.error(res, authed ? 404 : 401, 'RepoNotFound', 'Repository not found');
      return;
    }
    const revision = api?.[4] ?? file?.[3] ?? 'main';
    const commit = repo.refs[revision] ?? (repo.commits[revision] ? revision : undefined);
    if (commit === undefined) {
      this.error(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      return;
    }
    const files = repo.commits[commit];

    if (api?.[3] === 'revision') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          _id: `id-${repo.id}`,
          id: repo.id,
          sha: commit,
          private: false,
          gated: repo.gated ? 'manual' : false,
          downloads: 0,
          likes: 0,
          lastModified: '2026-01-01T00:00:00.000Z',
        }),
      );
      return;
    }
    if (api?.[3] === 'tree') {
      const dirs = new Set<string>();
      for (const p of Object.keys(files)) {
        const parts = p.split('/');
        for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
      }
      const entries = [
        ...[...dirs].map((d) => ({
          type: 'directory',
          path: d,
          size: 0,
          oid: gitBlobId(Buffer.from(d)),
        })),
        ...Object.entries(files).map(([p, f]) => ({
          type: 'file',
          path: p,
          size: f.content.length,
          oid: gitBlobId(f.content),
          ...(f.lfs
            ? { lfs: { oid: sha256(f.content), size: f.content.length, pointerSize: 130 } }
            : {}),
        })),
      ];
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(entries));
      return;
    }
    if (file) {
      if (repo.gated && !authed) {
        this.error(
          res,
          auth ? 403 : 401,
          'GatedRepo',
          `Access to ${repo.type} ${repo.id} is restricted.`,
        );
        return;
      }
      const f = files[file[4]];
      if (f === undefined) {
        this.error(res, 404, 'EntryNotFound', `${file[4]} does not exist`);
        return;
      }
      const etag = f.lfs ? sha256(f.content) : gitBlobId(f.content);
      // open (`bytes=N-`, resuming) or closed (`bytes=N-M`, single tensors) ranges
      const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      const start = m ? Number(m[1]) : 0;
      const end = m?.[2] ? Math.min(Number(m[2]) + 1, f.content.length) : f.content.length;
      const body = f.content.subarray(start, end);
      const headers: Record<string, string | number> = {
        ETag: `"${etag}"`,
        'Content-Length': body.length,
        'Accept-Ranges': 'bytes',
      };
      if (m) headers['Content-Range'] = `bytes ${start}-${end - 1}/${f.content.length}`;
      res.writeHead(m ? 206 : 200, headers);
      const cut = this.cutAfter.get(file[4]);
      if (cut !== undefined) {
        this.cutAfter.delete(file[4]);
        // send part of the body, give the client time to store it, then close: a premature end
        res.write(body.subarray(0, cut - start), () => setTimeout(() => res.socket?.end(), 200));
        return;
      }
      res.end(body);
      return;
    }
    this.error(res, 404, 'NotFound', `no route for ${path}`);
  }
}

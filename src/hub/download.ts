// One file from the Hub into the cache's blobs/, resumable: bytes arrive in blobs/<etag>.incomplete
// (the name huggingface_hub uses, so either tool resumes the other's partial download); a rerun
// asks for the rest with a Range request, and the blob is renamed into place only when its size
// (and for LFS files its sha256) is right.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat, truncate } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { DownloadProgress } from './progress.js';

export interface BlobDownload {
  url: string;
  token: string | undefined;
  blobPath: string;
  size: number;
  /** hex sha256 of the content (the LFS oid), checked when given */
  sha256?: string;
  /** path inside the repo, for progress and errors */
  file: string;
  fetch: typeof fetch;
  progress: DownloadProgress;
}

/** A non-2xx answer, kept whole so the caller can say why (gated, missing, ...). */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string | null,
    readonly body: string,
    readonly url: string,
  ) {
    super(`HTTP ${status}${errorCode ? ` ${errorCode}` : ''} for ${url}`);
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashFile(path: string, hash: ReturnType<typeof createHash>): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

export async function downloadBlob(d: BlobDownload): Promise<void> {
  const partial = `${d.blobPath}.incomplete`;
  let have = await sizeOf(partial);
  if (have > d.size) {
    await truncate(partial, 0);
    have = 0;
  }
  const headers: Record<string, string> = {};
  if (d.token) headers.Authorization = `Bearer ${d.token}`;
  if (have > 0) headers.Range = `bytes=${have}-`;

  const res = have === d.size && d.size > 0 ? null : await d.fetch(d.url, { headers });
  if (res !== null) {
    if (!res.ok) {
      throw new HttpStatusError(
        res.status,
        res.headers.get('x-error-code'),
        await res.text(),
        d.url,
      );
    }
    // A server that ignores Range sends everything again: start over rather than append.
    const contentRange = res.headers.get('content-range');
    const start =
      res.status === 206 && contentRange ? Number(/bytes (\d+)-/.exec(contentRange)?.[1]) : 0;
    if (start !== have) {
      await truncate(partial, 0).catch(() => undefined);
      have = 0;
    }
  }
  d.progress.resume(have);

  const hash = d.sha256 ? createHash('sha256') : null;
  if (hash && have > 0) await hashFile(partial, hash);
  if (res?.body) {
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      hash?.update(chunk);
      d.progress.advance(chunk.length, d.file);
    });
    try {
      await pipeline(body, createWriteStream(partial, { flags: have > 0 ? 'a' : 'w' }));
    } catch (err) {
      throw new Error(
        `${d.file}: download interrupted after ${await sizeOf(partial)} of ${d.size} bytes (${(err as Error).message}); run again to resume`,
      );
    }
  }

  const got = await sizeOf(partial);
  if (got !== d.size) {
    throw new Error(`${d.file}: got ${got} of ${d.size} bytes; run again to resume`);
  }
  if (hash && d.sha256 && hash.digest('hex') !== d.sha256) {
    await rm(partial, { force: true });
    throw new Error(
      `${d.file}: sha256 differs from the Hub's ${d.sha256}; the partial file was removed, run again`,
    );
  }
  await rename(partial, d.blobPath);
  d.progress.fileDone(d.file, d.size);
}

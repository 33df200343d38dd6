// The original export that a reproduce.json describes, opened tensor by tensor so that `candor
// reproduce` can measure how far a differing tensor moved: from a local folder, or over HTTP with
// Range requests (a Hub repo or any web folder), so only the differing tensors are fetched. Its
// safetensors files lie beside reproduce.json, or one level up when reproduce.json sits in
// reproduce/ (as uploads put it).

import { basename, dirname, join } from 'node:path';
import { networkCause } from '../hub/resolve.js';
import {
  type ByteSource,
  openSafetensors,
  openSafetensorsSource,
  type SafetensorsFile,
} from '../model/safetensors.js';

export interface OriginalExport {
  /** where the files lie, for messages */
  location: string;
  /** the original's safetensors file of that name; throws a one-line reason when unreachable */
  open(file: string): Promise<SafetensorsFile>;
}

/** The folder of the export that a reproduce.json in `reproduceDir` came with. */
export function exportFolderOf(reproduceDir: string): string {
  return basename(reproduceDir) === 'reproduce' ? dirname(reproduceDir) : reproduceDir;
}

/** The same for a URL of a reproduce.json: its folder, or the one above a reproduce/ folder. */
export function exportUrlOf(reproduceUrl: URL): URL {
  return new URL(
    reproduceUrl.pathname.endsWith('/reproduce/reproduce.json') ? '..' : '.',
    reproduceUrl,
  );
}

/** The original export in a local folder. */
export function localExport(dir: string): OriginalExport {
  return { location: dir, open: (file) => openSafetensors(join(dir, file)) };
}

async function rangeRequest(
  url: string,
  headers: Record<string, string>,
  position: number,
  length: number,
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { ...headers, Range: `bytes=${position}-${position + length - 1}` },
    });
  } catch (err) {
    throw new Error(`${url}: could not reach it (${networkCause(err as Error)})`);
  }
  if (res.status === 206) return res;
  await res.body?.cancel();
  throw new Error(
    res.ok
      ? `${url}: the server ignores Range requests, so single tensors cannot be fetched`
      : `${url}: HTTP ${res.status}`,
  );
}

/** A file on a web server as a ByteSource, its size from the first answer's Content-Range. */
async function httpSource(url: string, headers: Record<string, string>): Promise<ByteSource> {
  const first = await rangeRequest(url, headers, 0, 8);
  await first.body?.cancel();
  const size = Number(/\/(\d+)$/.exec(first.headers.get('content-range') ?? '')?.[1]);
  if (!Number.isSafeInteger(size)) throw new Error(`${url}: no file size in the Content-Range`);
  return {
    size,
    readInto: async (position, dst) => {
      if (dst.length === 0) return;
      const res = await rangeRequest(url, headers, position, dst.length);
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (bytes.length !== dst.length) {
        throw new Error(
          `${url}: asked for ${dst.length} bytes at ${position}, got ${bytes.length}`,
        );
      }
      dst.set(bytes);
    },
    close: async () => {},
  };
}

/** The original export in a web folder (a trailing-slash URL); `headers` go with every request. */
export function httpExport(folder: URL, headers: Record<string, string> = {}): OriginalExport {
  return {
    location: folder.href,
    open: async (file) => {
      const url = new URL(file, folder).href;
      return openSafetensorsSource(url, await httpSource(url, headers));
    },
  };
}

// Rows of a local data file as records, by extension: .parquet (hyparquet), .jsonl, .json,
// .csv, .tsv, and .txt (one record `{ text }` per non-empty line, trimmed, as Heretic reads
// plain prompt files).

import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import {
  asyncBufferFromFile,
  type Compressors,
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
} from 'hyparquet';
import { parseCsv } from './csv.js';

export type DataRecord = Record<string, unknown>;

export const DATA_FILE_EXTENSIONS: readonly string[] = [
  '.parquet',
  '.jsonl',
  '.json',
  '.csv',
  '.tsv',
  '.txt',
];

// hyparquet decodes snappy itself; these two codecs are in node:zlib. (ZSTD needs Node 22.15+.)
const COMPRESSORS: Compressors = {
  GZIP: (input) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(brotliDecompressSync(input)),
};

function parseJsonLines(text: string, path: string): DataRecord[] {
  const out: DataRecord[] = [];
  text.split('\n').forEach((line, n) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as DataRecord);
    } catch (err) {
      throw new Error(
        `${path}:${n + 1}: not a JSON object (${(err as Error).message}); one JSON object a line`,
      );
    }
  });
  return out;
}

async function readParquet(
  path: string,
  columns: readonly string[] | undefined,
): Promise<DataRecord[]> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const present = new Set(parquetSchema(metadata).children.map((c) => c.element.name));
  // Decode only the wanted columns that exist. Without the first (the one the caller needs),
  // decode all, so that the caller's error about it can list the columns there are.
  const wanted =
    columns !== undefined && present.has(columns[0])
      ? columns.filter((c) => present.has(c))
      : undefined;
  try {
    return (await parquetReadObjects({
      file,
      metadata,
      columns: wanted,
      compressors: COMPRESSORS,
    })) as DataRecord[];
  } catch (err) {
    throw new Error(
      `${path}: ${(err as Error).message}; re-save it with snappy or gzip compression`,
    );
  }
}

/**
 * Records of one file. `columns` (the needed one first, then optional ones) limits what parquet
 * decodes; other formats parse whole rows. A record may lack a column: the caller reports it.
 */
export async function readRecords(
  path: string,
  columns?: readonly string[],
): Promise<DataRecord[]> {
  const ext = extname(path).toLowerCase();
  if (ext === '.parquet') return readParquet(path, columns);
  const text = await readFile(path, 'utf8');
  switch (ext) {
    case '.txt':
      return text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== '')
        .map((l) => ({ text: l }));
    case '.jsonl':
      return parseJsonLines(text, path);
    case '.json': {
      // a JSON array of records, else JSON lines under a .json name (common on the Hub)
      const trimmed = text.trimStart();
      if (trimmed.startsWith('[')) return JSON.parse(trimmed) as DataRecord[];
      return parseJsonLines(text, path);
    }
    case '.csv':
      return parseCsv(text, path);
    case '.tsv':
      return parseCsv(text, path, '\t');
    default:
      throw new Error(
        `${path}: unknown data file type "${ext}"; use ${DATA_FILE_EXTENSIONS.join(', ')}`,
      );
  }
}

// The rows of a task's split: from a local data file, a local folder laid out as a Hub dataset
// repo ([config/]split-*.parquet|jsonl|...), or a Hub dataset id through the cache.

import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type DataRecord, readRecords } from '../data/records.js';
import { dataFilesForSplit } from '../hub/dataset-files.js';
import { type HubOptions, resolveDataset } from '../hub/resolve.js';
import { datasetLocation, type TaskDefinition } from './task.js';

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listFiles(path));
    else out.push(path);
  }
  return out;
}

/** Only the files of the configuration's folder, when the task names one. */
function ofConfig(paths: string[], config: string | undefined): string[] {
  if (!config) return paths;
  return paths.filter((p) => p.split('/').slice(0, -1).includes(config));
}

/** Rows of `split` of the task's dataset (its `config` folder only), in file order. */
export async function loadSplit(
  def: TaskDefinition,
  split: string,
  hub: HubOptions = {},
): Promise<DataRecord[]> {
  const where = `task ${def.name}: dataset ${def.dataset.id}`;
  const location = datasetLocation(def);
  let files: string[];
  let isDir = false;
  try {
    isDir = statSync(location).isDirectory();
    files = isDir ? [] : [location];
  } catch {
    files = [];
  }
  if (isDir) {
    const relativePaths = listFiles(location).map((p) => relative(location, p));
    files = dataFilesForSplit(ofConfig(relativePaths, def.dataset.config), split).map((p) =>
      join(location, p),
    );
  } else if (files.length === 0) {
    const ds = await resolveDataset(location, split, hub);
    files = ofConfig(
      ds.splitFiles.map((p) => relative(ds.dir, p)),
      def.dataset.config,
    ).map((p) => join(ds.dir, p));
  }
  if (files.length === 0) {
    throw new Error(
      `${where}: no data files for split "${split}"${def.dataset.config ? ` in config folder "${def.dataset.config}"` : ''}; check dataset.split and dataset.config`,
    );
  }
  const rows: DataRecord[] = [];
  for (const file of files) rows.push(...(await readRecords(file)));
  return rows;
}

// The original export that a reproduce.json describes, opened tensor by tensor so that `candor
// reproduce` can measure how far a differing tensor moved. Its safetensors files lie beside
// reproduce.json, or one level up when reproduce.json sits in reproduce/ (as uploads put it).

import { basename, dirname, join } from 'node:path';
import { openSafetensors, type SafetensorsFile } from '../model/safetensors.js';

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

/** The original export in a local folder. */
export function localExport(dir: string): OriginalExport {
  return { location: dir, open: (file) => openSafetensors(join(dir, file)) };
}

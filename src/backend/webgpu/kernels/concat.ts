// Joining tensors, one thread per output word: rows of several tensors into one (q|k|v and
// gate|up weights become one matrix each, so one linear reads the input once).

import type { Kernel } from '../wgsl.js';
import { elementwise } from './elementwise.js';

/** `if (e < end0) {…} else if (e < end1) {…} …`: which of the parts element e falls in */
function byPart(parts: number, body: (p: number, start: string) => string): string {
  return Array.from({ length: parts }, (_, p) => {
    const start = p === 0 ? '0u' : `u.end${p - 1}`;
    const test = p === parts - 1 ? '' : `if (e < u.end${p}) `;
    return `${p === 0 ? '' : ' else '}${test}{ ${body(p, start)} }`;
  }).join('');
}

const ends = (parts: number): [string, 'u32'][] =>
  Array.from({ length: parts }, (_, p): [string, 'u32'] => [`end${p}`, 'u32']);

/**
 * parts x0…x{P-1} (elements of 2 or 4 bytes, read as u32 words) → out, their elements in order;
 * end_p is the element index where part p ends. Launched over grid(⌈n/256⌉), n = output words.
 */
export function concatKernel(parts: number, elementBytes: 2 | 4): Kernel {
  const buffers: Kernel['buffers'] = Array.from({ length: parts }, (_, p) => ({
    name: `x${p}`,
    access: 'read' as const,
    type: 'array<u32>',
  }));
  buffers.push({ name: 'out', access: 'read_write', type: 'array<u32>' });
  const last = `u.end${parts - 1}`;
  const word =
    elementBytes === 4
      ? `let e = i;\n  ${byPart(parts, (p, s) => `out[i] = x${p}[e - ${s}];`)}`
      : // two halves a word, each possibly from another part (parts of odd length)
        `out[i] = half(2u * i) | (half(2u * i + 1u) << 16u);`;
  const half =
    elementBytes === 4
      ? ''
      : `fn half(e: u32) -> u32 {
  if (e >= ${last}) { return 0u; }
  var h = 0u;
  ${byPart(parts, (p, s) => `let k = e - ${s}; h = (x${p}[k >> 1u] >> ((k & 1u) * 16u)) & 0xffffu;`)}
  return h;
}`;
  return elementwise(buffers, ends(parts), word, half);
}

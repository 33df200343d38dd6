// Log-likelihood of continuations after contexts (multiple-choice scoring), on the Engine's
// public API. Work is shared where the result is the same: identical requests run once, and
// one-token continuations of one context (A/B/C/D answers) share a single pass of that context.

import type { Engine } from './engine.js';
import type { ForwardOptions } from './types.js';

export interface ContinuationRequest {
  context: readonly number[];
  continuation: readonly number[];
}

export interface ContinuationOptions extends ForwardOptions {
  /** requests per engine call (progress granularity); default 64 */
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
}

const key = (ids: readonly number[]): string => ids.join(',');

/** Σ_t log p(c_t | context, c_<t) per request, in request order. */
export async function continuationLogLikelihoods(
  engine: Engine,
  requests: readonly ContinuationRequest[],
  opts: ContinuationOptions = {},
): Promise<Float64Array> {
  const chunk = opts.chunk ?? 64;
  const forward: ForwardOptions = {
    ...(opts.ablation ? { ablation: opts.ablation } : {}),
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
  };
  for (const [i, r] of requests.entries()) {
    if (r.context.length === 0 || r.continuation.length === 0) {
      throw new Error(
        `continuation request ${i} has an empty context or continuation; both need a token`,
      );
    }
  }
  // unique requests, and among them the distinct contexts of one-token continuations
  const unique = new Map<string, number>();
  const uniqueRequests: ContinuationRequest[] = [];
  const slot = requests.map((r) => {
    const k = `${key(r.context)}|${key(r.continuation)}`;
    let u = unique.get(k);
    if (u === undefined) {
      u = uniqueRequests.push(r) - 1;
      unique.set(k, u);
    }
    return u;
  });
  const values = new Float64Array(uniqueRequests.length);
  const oneToken = new Map<string, number[]>();
  const longer: number[] = [];
  for (const [u, r] of uniqueRequests.entries()) {
    if (r.continuation.length === 1) {
      const k = key(r.context);
      const list = oneToken.get(k);
      if (list) list.push(u);
      else oneToken.set(k, [u]);
    } else longer.push(u);
  }
  const total = uniqueRequests.length;
  let done = 0;
  const contexts = [...oneToken.values()];
  for (let i = 0; i < contexts.length; i += chunk) {
    const group = contexts.slice(i, i + chunk);
    const rows = await engine.nextTokenLogProbs(
      group.map((us) => [...uniqueRequests[us[0]].context]),
      forward,
    );
    for (const [g, us] of group.entries()) {
      for (const u of us) values[u] = rows[g][uniqueRequests[u].continuation[0]];
      done += us.length;
    }
    opts.onProgress?.(done, total);
  }
  for (let i = 0; i < longer.length; i += chunk) {
    const group = longer.slice(i, i + chunk);
    const rows = await engine.continuationLogProbs(
      group.map((u) => [...uniqueRequests[u].context]),
      group.map((u) => [...uniqueRequests[u].continuation]),
      forward,
    );
    for (const [g, u] of group.entries()) {
      let sum = 0;
      for (const v of rows[g]) sum += v;
      values[u] = sum;
    }
    done += group.length;
    opts.onProgress?.(done, total);
  }
  return Float64Array.from(slot, (u) => values[u]);
}

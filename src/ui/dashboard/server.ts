// The live dashboard: a local HTTP server (loopback only) that serves one page, uPlot from
// node_modules, the current study state as JSON, and server-sent events when it changes.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { renderDashboardPage } from './page.js';

export interface DashboardTrial {
  number: number;
  state: 'running' | 'complete' | 'failed' | 'pending';
  /** objective values by name (refusals, kl, ...) */
  values: Record<string, number>;
  params: Record<string, number | string>;
  pareto: boolean;
}

export interface DashboardState {
  title: string;
  /** objective names; the first two are the scatter's axes (x: second, y: first) */
  objectives: string[];
  trials: DashboardTrial[];
  /** per-layer weights of the selected (or best) trial, per component */
  selected: { number: number; kernel: Record<string, number[]> } | null;
  /** per-layer separation of harmful vs harmless residuals */
  separation: { layer: number; cosine: number; norm: number; score: number }[];
  /**
   * free-form panels: residual projections and the like, as SVG strings keyed by title; panels
   * with a `layer` are shown one layer at a time, picked with a slider
   */
  panels?: { title: string; svg: string; layer?: number }[];
}

export interface Dashboard {
  url: string;
  /** push a new state to every open page */
  update(state: DashboardState): void;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
const UPLOT_DIR = join(dirname(require.resolve('uplot/package.json')), 'dist');

export async function startDashboard(initial: DashboardState, port: number): Promise<Dashboard> {
  let state = initial;
  const clients = new Set<ServerResponse>();
  const assets: Record<string, [string, string]> = {
    '/uPlot.iife.min.js': [
      'text/javascript',
      readFileSync(join(UPLOT_DIR, 'uPlot.iife.min.js'), 'utf8'),
    ],
    '/uPlot.min.css': ['text/css', readFileSync(join(UPLOT_DIR, 'uPlot.min.css'), 'utf8')],
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(renderDashboardPage(state.title));
    } else if (path === '/state') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(state));
    } else if (path === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      res.write(`data: ${JSON.stringify(state)}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
    } else if (path in assets) {
      const [type, body] = assets[path];
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `dashboard: port ${port} is in use; pass --dashboard-port with another port (0 picks a free one)`
            : `dashboard: ${err.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    update(next) {
      state = next;
      const message = `data: ${JSON.stringify(state)}\n\n`;
      for (const client of clients) client.write(message);
    },
    close() {
      for (const client of clients) client.end();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

import { type IncomingMessage, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { turnLatencyRecordSchema } from '../metrics/turn-record-channel.js';
import type { TurnMetrics } from '../metrics/turn-metrics.js';

const RECORDS_PATH = '/internal/turn-records';

export interface WorkerHttpFront {
  /** Where the framework's own health server must listen (loopback only). */
  internalPort: number;
  /** Loopback URL for the jobs' turn records. */
  recordsUrl: string;
  close(): Promise<void>;
}

/**
 * The worker's HTTP port. The framework's health server (`GET /`, `GET /worker`) cannot be
 * extended, so it moves to a loopback port and this server takes the public one: it serves
 * `GET /metrics` (Prometheus), takes turn records from the job processes on loopback, and passes
 * every other request through to the framework unchanged.
 */
export async function startWorkerHttpFront(opts: { port: number; host?: string; metrics: TurnMetrics }): Promise<WorkerHttpFront> {
  const internalPort = await freeLoopbackPort();
  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`error: ${(e as Error).message}`);
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://worker').pathname;
    if (req.method === 'GET' && path === '/metrics') {
      const body = await opts.metrics.render();
      res.writeHead(200, { 'content-type': opts.metrics.contentType });
      res.end(body);
      return;
    }
    if (req.method === 'POST' && path === RECORDS_PATH) {
      if (!isLoopback(req.socket.remoteAddress)) {
        res.writeHead(403).end();
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const parsed = turnLatencyRecordSchema.safeParse(safeJson(Buffer.concat(chunks).toString('utf8')));
      if (!parsed.success) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`invalid turn record: ${parsed.error.issues[0]?.message}`);
        return;
      }
      opts.metrics.observe(parsed.data);
      res.writeHead(204).end();
      return;
    }
    proxy(req, res, internalPort);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    internalPort,
    recordsUrl: `http://127.0.0.1:${opts.port}${RECORDS_PATH}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function proxy(req: IncomingMessage, res: ServerResponse, port: number): void {
  const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', () => {
    // The framework's server is not up yet (or is gone): the worker is not healthy.
    if (!res.headersSent) res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('worker not ready');
  });
  req.pipe(upstream);
}

function isLoopback(address: string | undefined): boolean {
  return !!address && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { type AddressInfo, isIPv6 } from 'node:net';
import { parseTurnLatencyRecord } from '../../contracts/turn-record.js';
import type { TurnMetrics } from '../metrics/turn-metrics.js';
import { MAX_TURN_RECORD_BYTES, type TurnRecordsEndpoint, turnRecordsAuthorization } from '../metrics/turn-record-channel.js';

const RECORDS_PATH = '/internal/turn-records';

export interface WorkerHttpFront {
  /** Where the framework's own health server must listen (loopback only). */
  internalPort: number;
  /** Where the jobs send their turn records (loopback), and the token they must send with them. */
  turnRecords: TurnRecordsEndpoint;
  close(): Promise<void>;
}

/**
 * The worker's HTTP port. The framework's health server (`GET /`, `GET /worker`) cannot be
 * extended, so it moves to a loopback port and this server takes the worker's (on loopback unless
 * `worker.httpHost` opens it): it serves `GET /metrics` (Prometheus), takes turn records from the
 * job processes on loopback, and passes every other request through to the framework unchanged.
 */
export async function startWorkerHttpFront(opts: { port: number; host: string; metrics: TurnMetrics }): Promise<WorkerHttpFront> {
  const internalPort = await freeLoopbackPort();
  // New at every start, known only to this worker and the job processes it hands it to.
  const recordsToken = randomBytes(32).toString('base64url');
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
    if (req.method === 'POST' && path === RECORDS_PATH) return takeTurnRecord(req, res);
    proxy(req, res, internalPort);
  }

  async function takeTurnRecord(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isLoopback(req.socket.remoteAddress)) return refuse(res, 403, 'turn records are taken over loopback only');
    if (!sameText(req.headers.authorization, turnRecordsAuthorization(recordsToken))) return refuse(res, 401, 'not a job of this worker');
    const body = await readBody(req, MAX_TURN_RECORD_BYTES);
    if (!body) return refuse(res, 413, `a turn record is at most ${MAX_TURN_RECORD_BYTES} bytes`);
    const parsed = parseTurnLatencyRecord(safeJson(body.toString('utf8')));
    if ('error' in parsed) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`invalid turn record: ${parsed.error}`);
      return;
    }
    opts.metrics.observe(parsed.record);
    res.writeHead(204).end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    internalPort,
    turnRecords: { url: `http://${loopbackHostOf(opts.host)}:${opts.port}${RECORDS_PATH}`, token: recordsToken },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Where this machine's processes reach a server listening on `host`: loopback for the any-address. */
function loopbackHostOf(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return isIPv6(host) ? `[${host}]` : host;
}

/** Answers without reading the rest of the body, and closes the connection rather than drain it. */
function refuse(res: ServerResponse, status: number, reason: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' }).end(reason);
}

/** The body, or `undefined` as soon as it is longer than `limit` bytes: the rest is not read. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length']) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData).pause();
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** Compares in constant time, so the token cannot be guessed a character at a time. */
function sameText(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
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

import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { z } from 'zod';
import { NoRoomError, type Placement, UnknownRegionError } from '../../placement/index.js';
import { AddressRateLimit, DEFAULT_CALLS_PER_MINUTE } from './address-rate-limit.js';
import { type CallGuardOptions, callRefusal } from './call-guard.js';

export interface WebFrontOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  /** Where calls go: the region, its server and its agent (web/server/placement). */
  placement: Placement;
  /** The bundled page (web/build.ts writes it). */
  pageDir: string;
  /** Who may ask for a call besides this machine's own pages (call-guard.ts); unset: nobody else. */
  callGuard?: Omit<CallGuardOptions, 'bindHost'>;
  /** Call requests a client address may make a minute, after a burst of two (address-rate-limit.ts); 0: no limit. */
  callsPerMinute?: number;
}

export interface WebFront {
  /** http://host:port/ */
  url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};
/** The call request carries at most a region hint: anything larger is not one. */
const MAX_CALL_BODY_BYTES = 4096;
/** How long a caller turned away because every region is full should wait before asking again. */
const RETRY_AFTER_S = 3;
const callRequestSchema = z.object({ region: z.string().min(1).max(64).optional() });

/**
 * The way in for browsers and other clients: the page (a fixed set of files read at start, so no
 * request names a path on disk) and `POST /api/call` (`{"region"?: name}`), which places the call
 * (a room of its own, in the nearest region with room, its agent dispatched when the caller's join
 * creates the room) and answers `{url, token, room, region}`; `GET /metrics` counts placements.
 * A call request must come from the front's own page (or an allowed site) by a name the front is
 * known by, a few a minute per address; a public deployment may require a shared secret its own
 * sign-in adds. It listens on loopback unless told otherwise.
 */
export async function startWebFront(opts: WebFrontOptions): Promise<WebFront> {
  const page = readPage(opts.pageDir);
  const guard: CallGuardOptions = { allowedHosts: [], allowedOrigins: [], ...opts.callGuard, bindHost: opts.host };
  const callsPerMinute = opts.callsPerMinute ?? DEFAULT_CALLS_PER_MINUTE;
  const rateLimit = callsPerMinute > 0 ? new AddressRateLimit(callsPerMinute) : undefined;
  const server = createServer((req, res) => {
    // Nothing of the failure is sent: the caller can do nothing with it, and it could hold a key.
    handle(req, res).catch(() => respond(res, 500, { error: 'internal error' }));
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/api/call') {
      if (req.method !== 'POST') return respond(res, 405, { error: 'use POST' }, { allow: 'POST' });
      const refusal = callRefusal(req.headers, guard);
      if (refusal) return respond(res, refusal.status, { error: refusal.error });
      const rate = rateLimit?.take(req.socket.remoteAddress ?? '', performance.now());
      if (rate && !rate.ok) {
        const retryAfterS = Math.ceil(rate.retryAfterMs / 1000);
        return respond(
          res,
          429,
          { error: `too many calls from this address: try again in ${retryAfterS} s` },
          { 'retry-after': String(retryAfterS) },
        );
      }
      const body = await bodyWithin(req, MAX_CALL_BODY_BYTES);
      if (body === undefined) return respond(res, 413, { error: `request body over ${MAX_CALL_BODY_BYTES} bytes` });
      const request = callRequestSchema.safeParse(body.trim() ? safeJson(body) : {});
      if (!request.success) return respond(res, 400, { error: 'a call request is a JSON object: {"region"?: string}' });
      try {
        return respond(res, 200, await opts.placement.place(request.data.region, req.socket.remoteAddress));
      } catch (e) {
        if (e instanceof UnknownRegionError) return respond(res, 400, { error: e.message });
        if (e instanceof NoRoomError) return respond(res, 503, { error: e.message }, { 'retry-after': String(RETRY_AFTER_S) });
        throw e;
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return respond(res, 405, { error: 'use GET' }, { allow: 'GET, HEAD' });
    if (path === '/healthz') return respond(res, 200, { ok: true });
    if (path === '/metrics') {
      const text = await opts.placement.registry.metrics();
      res.writeHead(200, { 'content-type': opts.placement.registry.contentType });
      return void res.end(text);
    }
    const file = page.get(path === '/' ? '/index.html' : path);
    if (!file) return respond(res, 404, { error: `no such page: ${path}` });
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readPage(dir: string): Map<string, { body: Buffer; type: string }> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new Error(`the web page is not built (${dir} is missing): run \`npm run build:web\``);
  }
  const page = new Map<string, { body: Buffer; type: string }>();
  for (const name of names) {
    const type = CONTENT_TYPES[extname(name)];
    if (type) page.set(`/${name}`, { body: readFileSync(join(dir, name)), type });
  }
  if (!page.has('/index.html')) throw new Error(`the web page is not built (no ${join(dir, 'index.html')}): run \`npm run build:web\``);
  return page;
}

/** The body as text, or undefined when it is over `maxBytes`. */
async function bodyWithin(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  if (Number(req.headers['content-length']) > maxBytes) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function respond(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

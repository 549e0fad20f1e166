import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { AccessToken, RoomAgentDispatch, RoomConfiguration } from 'livekit-server-sdk';

export interface WebFrontOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  /** The LiveKit server as the browser reaches it, and the keys its tokens are signed with. */
  livekit: { url: string; apiKey: string; apiSecret: string };
  /** The agent each call dispatches. */
  agentName: string;
  /** The bundled page (web/build.ts writes it). */
  pageDir: string;
}

export interface WebFront {
  /** http://host:port/ */
  url: string;
  close(): Promise<void>;
}

/** What `POST /api/call` answers: where to join and with what. */
export interface PlacedWebCall {
  url: string;
  token: string;
  room: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};
/** A call's token outlives any call; it only lets its holder into that one room. */
const CALL_TOKEN_TTL_SECONDS = 2 * 3600;
/** The call request carries nothing yet (a region hint later): anything larger is not one. */
const MAX_CALL_BODY_BYTES = 4096;

/**
 * The browser's way in: the page (a fixed set of files read at start, so no request names a path
 * on disk) and `POST /api/call`, which makes a room of its own for the caller and a token whose room
 * configuration dispatches the agent when the caller's join creates it. Anyone who reaches this
 * endpoint can start calls: it listens on loopback unless told otherwise, and a public deployment
 * puts its own sign-in in front of it.
 */
export async function startWebFront(opts: WebFrontOptions): Promise<WebFront> {
  const page = readPage(opts.pageDir);
  const server = createServer((req, res) => {
    // Nothing of the failure is sent: the caller can do nothing with it, and it could hold a key.
    handle(req, res).catch(() => respond(res, 500, { error: 'internal error' }));
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/api/call') {
      if (req.method !== 'POST') return respond(res, 405, { error: 'use POST' }, { allow: 'POST' });
      if (!(await bodyWithin(req, MAX_CALL_BODY_BYTES))) return respond(res, 413, { error: `request body over ${MAX_CALL_BODY_BYTES} bytes` });
      return respond(res, 200, await placeCall(opts));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return respond(res, 405, { error: 'use GET' }, { allow: 'GET, HEAD' });
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

async function placeCall(opts: WebFrontOptions): Promise<PlacedWebCall> {
  const room = `web-${randomUUID().slice(0, 8)}`;
  const token = new AccessToken(opts.livekit.apiKey, opts.livekit.apiSecret, { identity: `web-${randomUUID().slice(0, 8)}`, ttl: CALL_TOKEN_TTL_SECONDS });
  token.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true });
  token.roomConfig = new RoomConfiguration({ agents: [new RoomAgentDispatch({ agentName: opts.agentName })] });
  return { url: opts.livekit.url, token: await token.toJwt(), room };
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

async function bodyWithin(req: IncomingMessage, maxBytes: number): Promise<boolean> {
  if (Number(req.headers['content-length']) > maxBytes) return false;
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return false;
  }
  return true;
}

function respond(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

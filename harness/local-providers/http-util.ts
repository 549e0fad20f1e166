import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_JSON_BODY_BYTES } from './limits.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The request's path and query; a 400 for a target that is not a path (`*`, a proxy's absolute URL). */
export function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  if (!target.startsWith('/')) throw new HttpError(400, 'the request target must be a path');
  // Appended to an origin, not resolved against one: resolved, `//x/y` names host x, and `//` no URL at all.
  return new URL(`http://local${target}`);
}

const PAYLOAD_TOO_LARGE = 413;

function bodyTooLarge(maxBytes: number): HttpError {
  return new HttpError(PAYLOAD_TOO_LARGE, `request body over ${maxBytes} bytes`);
}

/** The request's body, refused (413) past `maxBytes`: by its declared length before any of it is read. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  if (Number(req.headers['content-length']) > maxBytes) throw bodyTooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw bodyTooLarge(maxBytes);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, MAX_JSON_BODY_BYTES);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** An error in the shape OpenAI's API (and its SDK) use. */
function openAIError(status: number, message: string): object {
  return { error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error' } };
}

export function sendOpenAIError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // The unread rest of a refused body would otherwise be read to reuse the connection, and a client
  // still sending it could miss the answer.
  const headers: Record<string, string> = status === PAYLOAD_TOO_LARGE ? { connection: 'close' } : {};
  sendJson(res, status, openAIError(status, message), headers);
}

/** Answers a WebSocket upgrade request with an HTTP error in OpenAI's shape, instead of upgrading. */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify(openAIError(status, message));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Aborted when the client goes away before the response is complete: the request was cancelled. */
export function clientGoneSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client closed the connection'));
  });
  return controller.signal;
}

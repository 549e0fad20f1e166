import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import { HttpError } from './http-util.js';

/**
 * Who may use `/_control/*`, which arms faults and reads the conversation log: the tests and
 * benchmarks on this machine. A web page open in a browser here reaches the server too, so refused:
 * - a Host that is not a loopback address or the server's own host: DNS rebinding (the page's own
 *   name, made to resolve to this machine);
 * - an Origin other than the server's: a cross-site request;
 * - a POST or PUT not declared JSON: a page may send text/plain or a form cross-site without asking,
 *   while JSON needs a CORS preflight, which this server never grants.
 */
export function checkControlAccess(req: IncomingMessage, bindHost: string): void {
  const host = req.headers.host;
  const hostname = host === undefined ? undefined : hostnameOf(host);
  if (hostname === undefined || !(isLoopback(hostname) || hostname === hostnameOf(isIPv6(bindHost) ? `[${bindHost}]` : bindHost))) {
    throw new HttpError(403, '/_control is served only to this machine: the Host header must name a loopback address or the server host');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !isOrigin(origin, `http://${host}`)) {
    throw new HttpError(403, '/_control refuses cross-origin requests: the Origin header must be this server or absent');
  }
  if ((req.method === 'POST' || req.method === 'PUT') && mediaType(req.headers['content-type']) !== 'application/json') {
    throw new HttpError(415, `/_control takes ${req.method} requests with content-type application/json only`);
  }
}

/** `host[:port]`, the host a name, an IPv4 address or a bracketed IPv6 one; nothing else (no `user@`, no path). */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i;

/** The host name of a Host header, lower-cased; undefined when the header is not one. */
function hostnameOf(host: string): string | undefined {
  return HOST_HEADER.exec(host)?.[1]?.toLowerCase();
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || (isIPv4(hostname) && hostname.startsWith('127.'));
}

function isOrigin(origin: string, expected: string): boolean {
  try {
    return new URL(origin).origin === new URL(expected).origin;
  } catch {
    return false;
  }
}

function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

import type { IncomingMessage } from 'node:http';
import { hostnameOf, hostnameOfAddress, isLoopbackHostname, mediaTypeOf, originIsHost } from '../../contracts/request-origin.js';
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
  if (hostname === undefined || !(isLoopbackHostname(hostname) || hostname === hostnameOfAddress(bindHost))) {
    throw new HttpError(403, '/_control is served only to this machine: the Host header must name a loopback address or the server host');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !originIsHost(origin, host!, ['http'])) {
    throw new HttpError(403, '/_control refuses cross-origin requests: the Origin header must be this server or absent');
  }
  if ((req.method === 'POST' || req.method === 'PUT') && mediaTypeOf(req.headers['content-type']) !== 'application/json') {
    throw new HttpError(415, `/_control takes ${req.method} requests with content-type application/json only`);
  }
}

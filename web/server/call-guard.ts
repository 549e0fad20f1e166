import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { hostnameOf, hostnameOfAddress, isLoopbackHostname, mediaTypeOf, originIsHost } from '../../contracts/request-origin.js';

export interface CallGuardOptions {
  /** The address the web front listens on: a Host naming it is this server. */
  bindHost: string;
  /** Host names the front is reached by besides loopback and `bindHost` (its public names); `*`: any. */
  allowedHosts: readonly string[];
  /** Origins of other sites whose pages may ask for calls (`https://app.example.com`); the front's own always may. */
  allowedOrigins: readonly string[];
  /** When set, a call request must carry `Authorization: Bearer <secret>` (a deployment's own sign-in adds it). */
  secret?: string;
}

/** The page's own origin: plain on this machine, https where TLS ends at a proxy in front of the front. */
const PAGE_SCHEMES = ['http', 'https'];

/** Why a call request is refused: the HTTP status and what to tell the client. */
export interface CallRefusal {
  status: 401 | 403 | 415;
  error: string;
}

/**
 * Whether `POST /api/call` may be answered, from its headers: anyone who gets a token can hold a
 * call, so a request must come from the front's own page (or an allowed site) through a name the
 * front is known by. Refused:
 * - a Host that is not loopback, the bind address or an allowed name: DNS rebinding (a page's own
 *   name made to resolve to this server, which would then read the token it is sent);
 * - an Origin that is neither this host nor an allowed one: a cross-site request;
 * - a body not declared JSON: a page may POST text/plain or a form cross-site without asking, while
 *   JSON needs a CORS preflight, which this server never grants;
 * - with a secret set, a request without it.
 */
export function callRefusal(headers: IncomingHttpHeaders, opts: CallGuardOptions): CallRefusal | undefined {
  if (opts.secret !== undefined && !bearerMatches(headers.authorization, opts.secret)) {
    return { status: 401, error: 'a call request needs the Authorization: Bearer secret this server was given' };
  }
  const host = headers.host;
  const hostname = host === undefined ? undefined : hostnameOf(host);
  if (host === undefined || hostname === undefined || !knownHost(hostname, opts)) {
    return { status: 403, error: 'this server is not known by the name in the Host header (WEB_ALLOWED_HOSTS)' };
  }
  const origin = headers.origin;
  if (origin !== undefined && !originIsHost(origin, host, PAGE_SCHEMES) && !opts.allowedOrigins.includes(origin.toLowerCase())) {
    return { status: 403, error: 'calls are placed for pages of this server only (WEB_ALLOWED_ORIGINS)' };
  }
  if (mediaTypeOf(headers['content-type']) !== 'application/json') {
    return { status: 415, error: 'a call request is sent with content-type application/json' };
  }
  return undefined;
}

function knownHost(hostname: string, opts: CallGuardOptions): boolean {
  return (
    isLoopbackHostname(hostname) ||
    hostname === hostnameOfAddress(opts.bindHost) ||
    opts.allowedHosts.includes('*') ||
    opts.allowedHosts.some((allowed) => allowed.toLowerCase() === hostname)
  );
}

/** Compared as digests, so the time taken says nothing of the secret. */
function bearerMatches(authorization: string | undefined, secret: string): boolean {
  const given = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
  if (given === undefined) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

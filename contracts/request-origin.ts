/**
 * Where an HTTP request says it is going and coming from, read the way browsers write it: what the
 * servers that refuse DNS-rebinding and cross-site requests (the local providers' control API, the
 * web front's call endpoint) agree on.
 */

/** `host[:port]`, the host a name, an IPv4 address or a bracketed IPv6 one; nothing else (no `user@`, no path). */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i;

/** The host name of a Host header, lower-cased; undefined when the header is not one. */
export function hostnameOf(host: string): string | undefined {
  return HOST_HEADER.exec(host)?.[1]?.toLowerCase();
}

/** A host name (as hostnameOf gives it) that can only mean this machine. */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** A bind address as a Host header names it: IPv6 in brackets. */
export function hostnameOfAddress(address: string): string {
  return address.includes(':') ? `[${address.toLowerCase()}]` : address.toLowerCase();
}

/** Whether an Origin header names the host and port of `host` (a Host header), by one of `schemes`. */
export function originIsHost(origin: string, host: string, schemes: readonly string[]): boolean {
  try {
    const url = new URL(origin);
    return schemes.includes(url.protocol.slice(0, -1)) && url.host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}

/** The media type of a Content-Type header, lower-cased, parameters left out. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

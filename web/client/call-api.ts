import { isRecord } from './json';

/** Where and how to join the call the server has just set up. */
export interface CallCredentials {
  url: string;
  token: string;
}

export type CallRequest = { ok: true; credentials: CallCredentials } | { ok: false; message: string };

/**
 * Asks the page's server for a call with the agent: in the region the page's address names
 * (`?region=eu-west`), else where the server places the caller.
 */
export async function requestCall(): Promise<CallRequest> {
  const region = new URLSearchParams(location.search).get('region');
  let response: Response;
  try {
    response = await fetch('api/call', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(region ? { region } : {}),
    });
  } catch {
    return { ok: false, message: 'The server cannot be reached. Is `npm start` running?' };
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.status !== 200) {
    const error = isRecord(body) && typeof body.error === 'string' ? body.error : undefined;
    return { ok: false, message: error ?? `The server could not set up a call (HTTP ${response.status}).` };
  }
  if (!isRecord(body) || typeof body.url !== 'string' || typeof body.token !== 'string') {
    return { ok: false, message: 'The server answered with something other than a call.' };
  }
  return { ok: true, credentials: { url: body.url, token: body.token } };
}

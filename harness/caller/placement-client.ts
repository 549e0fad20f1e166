import type { PlacedCall } from '../../placement/index.js';

/** Asks a placement service (web/server, `POST /api/call`) for a call, as the web page does. */
export async function requestPlacedCall(serviceUrl: string, region?: string): Promise<PlacedCall> {
  const res = await fetch(new URL('/api/call', serviceUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(region ? { region } : {}),
  });
  const body = (await res.json().catch(() => ({}))) as Partial<PlacedCall> & { error?: string };
  if (!res.ok || !body.url || !body.token || !body.room)
    throw new Error(`the placement service refused the call (HTTP ${res.status}): ${body.error ?? 'no reason given'}`);
  return body as PlacedCall;
}

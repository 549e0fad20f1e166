import { request } from 'node:http';

/** What the web front answered a call request. */
export interface CallResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * `POST /api/call` to the web front at `url` with exactly these headers (a JSON body unless told
 * otherwise), from `localAddress` if given: fetch cannot set Host or pick a loopback source address.
 */
export function postCall(
  url: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  opts: { body?: string; localAddress?: string } = {},
): Promise<CallResponse> {
  const target = new URL('/api/call', url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers, localAddress: opts.localAddress },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body ?? '{}');
  });
}

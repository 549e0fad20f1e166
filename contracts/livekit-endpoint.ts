/** Where a LiveKit server is and the API key that signs tokens for it. */
export interface LivekitEndpoint {
  url: string;
  apiKey: string;
  apiSecret: string;
}

/**
 * The server `npm start` runs (infra/livekit/livekit.yaml: loopback, its dev key; the fast contracts
 * test holds the two equal).
 */
export const DEV_LIVEKIT_ENDPOINT: LivekitEndpoint = { url: 'ws://127.0.0.1:7880', apiKey: 'devkey', apiSecret: 'secret' };

/** LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET, each unset or blank one taken from `fallback`. */
export function livekitEndpointFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  fallback: LivekitEndpoint = DEV_LIVEKIT_ENDPOINT,
): LivekitEndpoint {
  return {
    url: env.LIVEKIT_URL || fallback.url,
    apiKey: env.LIVEKIT_API_KEY || fallback.apiKey,
    apiSecret: env.LIVEKIT_API_SECRET || fallback.apiSecret,
  };
}

/** The server API's URL for a signalling URL: ws → http, wss → https (livekit-server-sdk's clients take these). */
export function livekitApiUrl(url: string): string {
  return url.replace(/^ws(s?):\/\//, 'http$1://');
}

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

/**
 * A LiveKit URL may not hold `user:password@`: LiveKit signs in with the API key pair, the framework
 * logs the worker's URL on every reconnection attempt, and the web front hands its URL to every caller.
 */
export const LIVEKIT_URL_USER_INFO_REFUSED = 'must not hold user:password@ (LiveKit signs in with the API key pair, and the URL is logged)';

export function hasUserInfo(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const { username, password } = new URL(url);
  return username !== '' || password !== '';
}

/** A LiveKit access token (a JWT: three base64url parts, the first a JSON header). */
const ACCESS_TOKEN = /eyJ[\w-]*\.[\w-]+\.[\w-]+/g;

/**
 * `text` without the access tokens in it: livekit-server's refusal of a request can quote the signed
 * token it refused, which, with admin grants, is a key to the whole server until it expires.
 */
export function withoutAccessTokens(text: string): string {
  return text.replace(ACCESS_TOKEN, '[token]');
}

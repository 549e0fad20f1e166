import { z } from 'zod';
import { agentNameFromEnv } from '../../contracts/agent-name.js';
import { hasUserInfo, LIVEKIT_URL_USER_INFO_REFUSED } from '../../contracts/livekit-endpoint.js';
import { DEFAULT_CALLS_PER_MINUTE } from './address-rate-limit.js';

/** The page's port unless WEB_PORT says otherwise: the port LiveKit's web starters use. */
export const DEFAULT_WEB_PORT = 3000;
/** Where web/build.ts writes the page, relative to the repository. */
export const PAGE_DIR = 'web/dist';
/** An agent joins ~1-3 s after its caller; one that has not within this is not coming. */
export const DEFAULT_AGENT_DEADLINE_MS = 8000;

const webEnvSchema = z.object({
  /** One region's server; a regions file names each region's instead. */
  LIVEKIT_URL: z
    .string()
    .url()
    .refine((u) => /^(wss?|https?):\/\//.test(u), 'a ws://, wss://, http:// or https:// URL')
    .refine((u) => !hasUserInfo(u), LIVEKIT_URL_USER_INFO_REFUSED)
    .optional(),
  LIVEKIT_API_KEY: z.string().trim().min(1),
  LIVEKIT_API_SECRET: z.string().trim().min(1),
  LIVEKIT_AGENT_NAME: z.string().min(1).optional(),
  AGENT_NAME: z.string().min(1).optional(),
  WEB_HOST: z.string().min(1).default('127.0.0.1'),
  WEB_PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_WEB_PORT),
  /** The regions calls are placed in (web/server/regions.ts); unset, one region: LIVEKIT_URL and the agent name. */
  PLACEMENT_REGIONS: z.string().min(1).optional(),
  PLACEMENT_AGENT_DEADLINE_MS: z.coerce.number().int().min(1000).max(120_000).default(DEFAULT_AGENT_DEADLINE_MS),
  /** Names the front is reached by besides loopback and WEB_HOST (comma-separated; `*`: any), e.g. its public host name. */
  WEB_ALLOWED_HOSTS: z.string().optional(),
  /** Origins of other sites whose pages may ask for calls (comma-separated, e.g. `https://app.example.com`). */
  WEB_ALLOWED_ORIGINS: z.string().optional(),
  /** When set, `POST /api/call` needs `Authorization: Bearer <this>`: a deployment's own sign-in adds it. */
  WEB_CALL_SECRET: z.string().trim().min(16, 'at least 16 characters').optional(),
  /** Call requests per client address a minute (0: no limit, e.g. behind a proxy that limits by client itself). */
  WEB_CALLS_PER_MINUTE: z.coerce.number().min(0).max(10_000).default(DEFAULT_CALLS_PER_MINUTE),
  /** Where the worker pools report their load; unset, every region is taken to have room. */
  REDIS_URL: z
    .string()
    .url()
    .refine((u) => /^rediss?:\/\//.test(u), 'a redis:// or rediss:// URL')
    .optional(),
});

export interface WebConfig {
  livekit: { url?: string; apiKey: string; apiSecret: string };
  agentName: string;
  host: string;
  port: number;
  regionsFile?: string;
  agentDeadlineMs: number;
  redisUrl?: string;
  callGuard: { allowedHosts: string[]; allowedOrigins: string[]; secret?: string };
  callsPerMinute: number;
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);

/**
 * The web front's settings from the environment. An error names each bad variable and what it must
 * be, never its value (two of them are keys).
 */
export function webConfigFrom(env: NodeJS.ProcessEnv, defaultAgentName: string): WebConfig {
  const blankless = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = webEnvSchema.safeParse(blankless);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${i.path.join('.')}: ${i.code === 'invalid_type' && i.received === 'undefined' ? 'required' : i.message}`,
    );
    throw new Error(`invalid web front settings:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  let agentName: string;
  try {
    agentName = agentNameFromEnv({ LIVEKIT_AGENT_NAME: e.LIVEKIT_AGENT_NAME, AGENT_NAME: e.AGENT_NAME }, defaultAgentName);
  } catch (error) {
    throw new Error(`invalid web front settings:\n  ${(error as Error).message}`);
  }
  if (!e.LIVEKIT_URL && !e.PLACEMENT_REGIONS)
    throw new Error('invalid web front settings:\n  LIVEKIT_URL: required (or PLACEMENT_REGIONS)');
  return {
    livekit: { url: e.LIVEKIT_URL, apiKey: e.LIVEKIT_API_KEY, apiSecret: e.LIVEKIT_API_SECRET },
    agentName,
    host: e.WEB_HOST,
    port: e.WEB_PORT,
    regionsFile: e.PLACEMENT_REGIONS,
    agentDeadlineMs: e.PLACEMENT_AGENT_DEADLINE_MS,
    redisUrl: e.REDIS_URL,
    callGuard: { allowedHosts: list(e.WEB_ALLOWED_HOSTS), allowedOrigins: list(e.WEB_ALLOWED_ORIGINS), secret: e.WEB_CALL_SECRET },
    callsPerMinute: e.WEB_CALLS_PER_MINUTE,
  };
}

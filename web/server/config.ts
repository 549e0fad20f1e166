import { z } from 'zod';
import { agentNameFromEnv } from '../../contracts/agent-name.js';

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
}

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
  };
}

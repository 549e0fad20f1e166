/**
 * The name a worker registers under when none is set, and the one callers dispatch by default
 * (explicit dispatch only: rooms get the agent through a dispatch that names it).
 */
export const DEFAULT_AGENT_NAME = 'voice-agent';

/** A regional pool's agent name: callers near a region dispatch this one (infra/k8s overlays, harness/cluster). */
export function regionalAgentName(region: string, base = DEFAULT_AGENT_NAME): string {
  return `${base}-${region}`;
}

/**
 * The agent name the environment gives: LIVEKIT_AGENT_NAME (the LiveKit CLI's variable) or
 * AGENT_NAME, else `fallback`. Both set to different names is an error: which one a worker, the web
 * front and the SIP tools each took would otherwise differ.
 */
export function agentNameFromEnv(env: Readonly<Record<string, string | undefined>>, fallback = DEFAULT_AGENT_NAME): string {
  const [livekit, ours] = [env.LIVEKIT_AGENT_NAME || undefined, env.AGENT_NAME || undefined];
  if (livekit && ours && livekit !== ours) throw new Error('LIVEKIT_AGENT_NAME and AGENT_NAME name different agents: set one');
  return livekit ?? ours ?? fallback;
}

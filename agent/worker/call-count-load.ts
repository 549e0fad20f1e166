import type { AgentServer } from '@livekit/agents';

/**
 * A worker load measured in calls instead of machine CPU. livekit-server dispatches to a worker
 * only while `1 - load > 0`, and the framework's default load is the whole machine's CPU: on a
 * small or shared host another process's burst makes dispatches fail ("no servers available"),
 * and a failed dispatch waits for livekit-server's retry. Counting calls makes capacity explicit.
 */
export function callCountLoad(maxConcurrentCalls: number, onReport?: (activeCalls: number) => void): (server: AgentServer) => Promise<number> {
  return async (server) => {
    onReport?.(server.activeJobs.length);
    return Math.min(1, server.activeJobs.length / maxConcurrentCalls);
  };
}

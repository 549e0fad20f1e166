import { join } from 'node:path';
import { startWorkerProcess } from '../../infra/stack/worker-process.js';
import { PythonWorker } from '../python-agent/python-worker.js';

export const AGENT_KINDS = ['ours', 'python'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

export interface AgentUnderTest {
  kind: AgentKind;
  agentName: string;
  /** Root of the worker's process tree (its job processes are its children). */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts our worker (agent/main.ts) or the Python one (bench/python-agent/agent.py) with the same
 * environment: the same livekit-server, local providers and turn settings, so only the framework
 * and our code differ.
 */
export async function startAgentUnderTest(
  kind: AgentKind,
  env: Record<string, string>,
  opts: { logDir: string; httpPort: number },
): Promise<AgentUnderTest> {
  const agentName = `bench-${kind}`;
  const logFile = join(opts.logDir, `worker-${kind}.log`);
  const fullEnv = { ...env, AGENT_NAME: agentName, AGENT_HTTP_PORT: String(opts.httpPort) };
  if (kind === 'ours') {
    const worker = await startWorkerProcess({ env: fullEnv, httpPort: opts.httpPort, logFile });
    return { kind, agentName, pid: worker.process.pid!, stop: async () => void (await worker.stop(10_000)) };
  }
  const worker = PythonWorker.start(fullEnv, logFile);
  try {
    await worker.waitRegistered(90_000);
  } catch (e) {
    await worker.stop();
    throw e;
  }
  return { kind, agentName, pid: worker.child.pid!, stop: () => worker.stop() };
}

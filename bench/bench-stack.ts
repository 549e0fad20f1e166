import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type RunningLivekitServer, startLivekitServer } from '../infra/stack/livekit-server.js';
import { type RunningLocalProviders, startLocalProviders } from '../plugins/local-providers/server/local-providers-server.js';
import type { LatencyProfileName } from '../plugins/local-providers/server/stage-behaviour.js';
import type { EchoOptions } from '../test/caller/echo-path.js';
import type { SimulatedCaller, Transcriber } from '../test/caller/simulated-caller.js';
import { placeCall } from '../test/support/place-call.js';
import { testNodeIp } from '../test/support/test-network.js';
import { type AgentKind, type AgentUnderTest, startAgentUnderTest } from './latency/agents-under-test.js';
import { ProcessTreeUsage } from './latency/process-tree-usage.js';

/** livekit-server and the local providers with one latency profile, then each agent's worker on them in turn. */
export class BenchStack {
  private constructor(
    readonly livekit: RunningLivekitServer,
    readonly providers: RunningLocalProviders,
    readonly logDir: string,
    readonly agentEnv: Record<string, string>,
  ) {}

  static async start(profile: LatencyProfileName, logDir: string, agentEnv: Record<string, string>): Promise<BenchStack> {
    mkdirSync(logDir, { recursive: true });
    const livekit = await startLivekitServer({ nodeIp: testNodeIp(), logFile: join(logDir, 'livekit-server.log') });
    const providers = await startLocalProviders({ port: 0, latency: profile }).catch(async (e: unknown) => {
      await livekit.stop(2000);
      throw e;
    });
    return new BenchStack(livekit, providers, logDir, agentEnv);
  }

  /** Runs `run` with the agent's worker up (and its process tree sampled), and stops the worker after. */
  async withAgent<T>(kind: AgentKind, env: Record<string, string>, run: (agent: AgentUnderTest, usage: ProcessTreeUsage) => Promise<T>): Promise<T> {
    const agent = await startAgentUnderTest(
      kind,
      {
        LIVEKIT_URL: this.livekit.url,
        LIVEKIT_API_KEY: this.livekit.apiKey,
        LIVEKIT_API_SECRET: this.livekit.apiSecret,
        LOCAL_PROVIDERS_URL: this.providers.url,
        ...this.agentEnv,
        ...env,
      },
      { logDir: this.logDir, httpPort: kind === 'ours' ? 18301 : 18302 },
    );
    const usage = new ProcessTreeUsage(agent.pid);
    try {
      return await run(agent, usage);
    } finally {
      usage.stop();
      await agent.stop();
    }
  }

  /** A simulated caller in a new room with `agentName` dispatched; it speaks prepared audio only. */
  placeCall(agentName: string, transcriber: Transcriber, opts: { echo?: EchoOptions; agentDoneSilenceMs?: number } = {}): Promise<SimulatedCaller> {
    const synthesizer = { synthesize: () => Promise.reject(new Error('the benchmark caller speaks prepared audio')) };
    return placeCall({ livekit: this.livekit, agentName, synthesizer, transcriber, ...opts }).then((c) => c.caller);
  }

  async stop(): Promise<void> {
    await this.providers.close();
    await this.livekit.stop(3000);
  }
}

/** `--agent-env KEY=VALUE` options into an environment for the agents under test. */
export function parseAgentEnv(pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((kv) => {
      const eq = kv.indexOf('=');
      if (eq < 1) throw new Error(`--agent-env: expected KEY=VALUE, got '${kv}'`);
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    }),
  );
}

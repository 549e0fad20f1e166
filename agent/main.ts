import { randomUUID } from 'node:crypto';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, log, ServerOptions } from '@livekit/agents';
import { registerTextEndOfTurnRunner } from '../plugins/text-end-of-turn/index.js';
import { ConfigError, loadConfig } from './config/load.js';
import type { AgentConfig } from './config/schema.js';
import { CallRescuer } from './continuity/call-rescuer.js';
import { CallStore } from './continuity/call-store.js';
import { redactOutput } from './logging/redacted-output.js';
import { TurnMetrics } from './metrics/turn-metrics.js';
import { turnRecordsEnv } from './metrics/turn-record-channel.js';
import { registerWorkerLoadGauges } from './metrics/worker-load-gauges.js';
import { CallAdmission } from './worker/call-admission.js';
import { PoolPresence } from './worker/pool-presence.js';
import { startWorkerHttpFront } from './worker/worker-http-front.js';
import { WorkerLoad } from './worker/worker-load.js';

/**
 * The worker: registers with livekit-server under an agent name (explicit dispatch only) and runs
 * each call in a job process that loads agent/voice-agent. `start` is production mode: SIGTERM drains
 * (active calls finish, no new ones are taken). `dev` is the framework's development mode.
 */
async function main(): Promise<void> {
  let cfg: AgentConfig;
  try {
    cfg = loadConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`voice-agent: ${e.message}`);
    process.exit(1);
  }
  redactOutput(cfg.log);
  const metrics = new TurnMetrics({ stt: cfg.stt.provider, llm: cfg.llm.provider, tts: cfg.tts.provider });
  const front = await startWorkerHttpFront({ port: cfg.worker.httpPort, host: cfg.worker.httpHost, metrics });
  // Forked job processes inherit the environment: this is how they find the worker's metrics, and the
  // token that shows the records they send there are theirs.
  Object.assign(process.env, turnRecordsEnv(front.turnRecords));

  // Same extension as this file: `.ts` under tsx, `.js` once compiled.
  const agentFile = fileURLToPath(new URL(`./voice-agent${extname(import.meta.url)}`, import.meta.url));
  // The combined turn detector's text model runs in the worker's inference process, loaded once for every call.
  if (cfg.turn.detector === 'combined') registerTextEndOfTurnRunner();
  const load = new WorkerLoad(front.internalPort, cfg.worker.maxConcurrentCalls, agentFile);
  const max = cfg.worker.maxConcurrentCalls;
  const admission = max ? new CallAdmission(max, cfg.worker.livekitTargetLoad, (report) => load.reportedToLivekit(report)) : undefined;
  cli.runApp(
    new ServerOptions({
      agent: agentFile,
      agentName: cfg.worker.agentName,
      wsURL: cfg.livekit.url,
      apiKey: cfg.livekit.apiKey,
      apiSecret: cfg.livekit.apiSecret,
      ...(admission
        ? { requestFunc: admission.requestFunc, loadFunc: admission.loadFunc, loadThreshold: admission.fullLoad }
        : { loadThreshold: cfg.worker.loadThreshold }),
      numIdleProcesses: cfg.worker.numIdleProcesses,
      initializeProcessTimeout: cfg.worker.processInitTimeoutMs,
      host: '127.0.0.1',
      port: front.internalPort,
      drainTimeout: cfg.worker.drainTimeoutMs,
      // The framework gives up after 10 failed reconnections (~80 s) and the worker exits; a worker
      // that outlives any LiveKit outage keeps trying, every 10 s at most, unhealthy meanwhile.
      maxRetry: Number.POSITIVE_INFINITY,
    }),
  );
  // After runApp: it sets up the framework's logger as it starts the worker.
  registerWorkerLoadGauges(metrics.registry, load);
  // The framework drains on SIGTERM (cli.runApp); from then on the worker offers no room for calls.
  process.once('SIGTERM', () => load.drain());
  if (cfg.redis.url) {
    const store = CallStore.connect(cfg.redis.url, (error) => log().warn({ error: error.message }, 'call store unreachable'));
    new CallRescuer(store, cfg.worker.agentName, cfg.worker.region, cfg.livekit).start();
    new PoolPresence(cfg.redis.url, randomUUID(), { agentName: cfg.worker.agentName, region: cfg.worker.region }, load);
  }
}

main().catch((e: unknown) => {
  console.error(`voice-agent: ${(e as Error).message}`);
  process.exit(1);
});

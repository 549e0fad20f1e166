import { ServerOptions, cli } from '@livekit/agents';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config/load.js';
import { callCountLoad } from './worker/call-count-load.js';

/**
 * The worker: registers with livekit-server under an agent name (explicit dispatch only) and runs
 * each call in a job process that loads agent/voice-agent. `start` is production mode: SIGTERM drains
 * (active calls finish, no new ones are taken). `dev` is the framework's development mode.
 */
function main(): void {
  let cfg;
  try {
    cfg = loadConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`voice-agent: ${e.message}`);
    process.exit(1);
  }
  // Same extension as this file: `.ts` under tsx, `.js` once compiled.
  const agentFile = fileURLToPath(new URL(`./voice-agent${extname(import.meta.url)}`, import.meta.url));
  cli.runApp(
    new ServerOptions({
      agent: agentFile,
      agentName: cfg.worker.agentName,
      wsURL: cfg.livekit.url,
      apiKey: cfg.livekit.apiKey,
      apiSecret: cfg.livekit.apiSecret,
      ...(cfg.worker.maxConcurrentCalls
        ? { loadFunc: callCountLoad(cfg.worker.maxConcurrentCalls), loadThreshold: 1 }
        : { loadThreshold: cfg.worker.loadThreshold }),
      numIdleProcesses: cfg.worker.numIdleProcesses,
      port: cfg.worker.httpPort,
      drainTimeout: cfg.worker.drainTimeoutMs,
    }),
  );
}

main();

import { parseArgs } from 'node:util';
import { DEFAULT_LOCAL_PROVIDERS_URL } from '../../../agent/config/schema.js';
import { startLocalProviders } from './local-providers-server.js';

/** Runs the embedded local providers as a process: `tsx plugins/local-providers/server/main.ts [--port N] [--profile zero|typical]`. */
async function main(): Promise<void> {
  const defaults = new URL(DEFAULT_LOCAL_PROVIDERS_URL);
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: process.env.LOCAL_PROVIDERS_HOST ?? defaults.hostname },
      port: { type: 'string', default: process.env.LOCAL_PROVIDERS_PORT ?? defaults.port },
      profile: { type: 'string', default: process.env.LOCAL_PROVIDERS_PROFILE ?? 'zero' },
      script: { type: 'string', default: process.env.LOCAL_PROVIDERS_SCRIPT },
      voice: { type: 'string', default: process.env.LOCAL_PROVIDERS_VOICE },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port number: ${values.port}`);
  if (values.profile !== 'zero' && values.profile !== 'typical') throw new Error(`--profile: expected zero or typical, got ${values.profile}`);
  const providers = await startLocalProviders({
    host: values.host,
    port,
    latency: values.profile,
    responderScript: values.script,
    voice: values.voice,
  });
  console.log(`local-providers: listening on ${providers.url} (latency profile ${values.profile})`);
  const stop = () => {
    void providers.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  console.error(`local-providers: ${(e as Error).message}`);
  process.exit(1);
});

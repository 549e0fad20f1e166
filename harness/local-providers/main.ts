import { parseArgs } from 'node:util';
import { DEFAULT_LOCAL_PROVIDERS_URL } from '../../agent/config/schema.js';
import { startLocalProviders } from './server.js';
import { LATENCY_PROFILE_NAMES, latencyProfileNamed } from './stage-behaviour.js';

/** Runs the local providers as a process (`npm run local-providers -- [--port N] [--profile NAME]`). */
async function main(): Promise<void> {
  const defaults = new URL(DEFAULT_LOCAL_PROVIDERS_URL);
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: process.env.LOCAL_PROVIDERS_HOST ?? defaults.hostname },
      port: { type: 'string', default: process.env.LOCAL_PROVIDERS_PORT ?? defaults.port },
      profile: { type: 'string', default: process.env.LOCAL_PROVIDERS_PROFILE ?? LATENCY_PROFILE_NAMES[0] },
      script: { type: 'string', default: process.env.LOCAL_PROVIDERS_SCRIPT },
      voice: { type: 'string', default: process.env.LOCAL_PROVIDERS_VOICE },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port number: ${values.port}`);
  const profile = latencyProfileNamed(values.profile, '--profile');
  const providers = await startLocalProviders({
    host: values.host,
    port,
    latency: profile,
    responderScript: values.script,
    voice: values.voice,
  });
  console.log(`local-providers: listening on ${providers.url} (latency profile ${profile})`);
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

import { SipClient } from 'livekit-server-sdk';
import {
  hasUserInfo,
  LIVEKIT_URL_USER_INFO_REFUSED,
  livekitApiUrl,
  livekitEndpointFromEnv,
  withoutAccessTokens,
} from '../contracts/livekit-endpoint.js';
import { applySipConfig, type Change, deleteSipConfig, describeSipState } from './provisioning.js';
import { loadSipConfig, SipConfigError } from './sip-config.js';

const USAGE = `usage: npm run sip -- <command> [file]
  apply FILE    create or update the trunks and dispatch rules FILE describes (matched by name);
                running it again changes nothing. Passwords come from the variables FILE names.
  delete FILE   delete the trunks and dispatch rules FILE names
  list          what livekit-server holds
The server: LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET (default: npm start's).
Example file: infra/sip/trunks.yaml.`;

/** SIP provisioning as code, through livekit-server's SIP API (which keeps trunks and rules in its Redis). */
async function main(argv: string[]): Promise<void> {
  const [command, file, ...rest] = argv;
  if (!command || command === '--help' || rest.length > 0) return console.log(USAGE);
  const livekit = livekitEndpointFromEnv(process.env);
  if (hasUserInfo(livekit.url)) throw new SipConfigError(`LIVEKIT_URL ${LIVEKIT_URL_USER_INFO_REFUSED}`);
  const url = livekitApiUrl(livekit.url);
  const client = new SipClient(url, livekit.apiKey, livekit.apiSecret);
  const needFile = () => {
    if (!file) throw new SipConfigError(`${command} needs a file, e.g. infra/sip/trunks.yaml`);
    return loadSipConfig(file);
  };
  try {
    switch (command) {
      case 'apply':
        return report(await applySipConfig(client, needFile()));
      case 'delete':
        return report(await deleteSipConfig(client, needFile()));
      case 'list': {
        const lines = await describeSipState(client);
        return console.log(lines.length ? lines.join('\n') : 'no SIP trunks or dispatch rules');
      }
      default:
        throw new SipConfigError(`unknown command '${command}'\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof SipConfigError) throw e;
    // The SDK's errors carry the server's reason; a refused connection names no address.
    throw new Error(`livekit-server at ${url}: ${withoutAccessTokens((e as Error).message)}`);
  }
}

function report(changes: Change[]): void {
  for (const c of changes) console.log(`${c.kind.padEnd(14)} ${c.name}: ${c.action}${c.id ? ` (${c.id})` : ''}`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(`sip: ${(e as Error).message}`);
  process.exit(1);
});

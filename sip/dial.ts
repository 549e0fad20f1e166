import { parseArgs } from 'node:util';
import { agentNameFromEnv, DEFAULT_AGENT_NAME } from '../contracts/agent-name.js';
import { livekitEndpointFromEnv, withoutAccessTokens } from '../contracts/livekit-endpoint.js';
import { OutboundCallError, placeOutboundCall } from './outbound-call.js';

const USAGE = `usage: npm run dial -- [--trunk NAME] [--agent NAME] +15550100001
  Calls the number through an outbound trunk (npm run sip -- apply) with the agent on the line;
  the agent speaks first once the callee answers.
  --trunk NAME   the outbound trunk to use (default: the only one livekit-server holds)
  --agent NAME   the agent to dispatch (default: LIVEKIT_AGENT_NAME or AGENT_NAME, else ${DEFAULT_AGENT_NAME})
The server: LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET (default: npm start's).`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { trunk: { type: 'string' }, agent: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const livekit = livekitEndpointFromEnv(process.env);
  const agentName = values.agent ?? agentNameFromEnv(process.env);
  const call = await placeOutboundCall(livekit, { number: positionals[0]!, agentName, trunk: values.trunk });
  console.log(`answered: room ${call.room}, SIP call ${call.sipCallId}, agent ${agentName}`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const message = e instanceof OutboundCallError ? e.message : `livekit-server: ${withoutAccessTokens((e as Error).message)}`;
  console.error(`dial: ${message}`);
  process.exitCode = 1;
});

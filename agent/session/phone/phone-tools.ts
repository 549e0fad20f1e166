import { beta, llm, log } from '@livekit/agents';
import { SipClient } from 'livekit-server-sdk';
import { livekitApiUrl } from '../../../contracts/livekit-endpoint.js';
import { redactNumber } from '../../../contracts/phone-number.js';
import { WORKER_LOG } from '../../../contracts/worker-log.js';
import type { AgentConfig } from '../../config/schema.js';

/** What the transfer tool needs to ask livekit-server (and through it livekit-sip) for a REFER. */
export interface TransferTarget {
  livekit: AgentConfig['livekit'];
  room: string;
  /** The phone participant to transfer. */
  callerIdentity: string;
  /** `tel:+1555…` or `sip:…` (config `phone.transferTo`). */
  transferTo: string;
}

/** Prefix of what the transfer tool returns when livekit-server refused or failed the transfer. */
const TRANSFER_FAILED = 'Transfer failed';

/**
 * A cold transfer of the caller to a person: livekit-server asks livekit-sip to send the caller's
 * phone a SIP REFER to `transferTo`; the caller's leg then leaves the room and the session ends.
 * When it fails (no SIP service, the callee's network refused) the LLM is told so, to tell the caller.
 */
function transferToPersonTool(target: TransferTarget) {
  const logger = log().child({ component: 'phone' });
  return llm.tool({
    name: 'transfer_to_person',
    description:
      'Transfers the caller to a person (a human agent). Call it when the caller asks to speak to a person, a human or an operator. ' +
      'Say in one short sentence that you are putting them through, in the same reply.',
    execute: async (_args, { ctx }) => {
      await ctx.waitForPlayout();
      const to = redactNumber(target.transferTo);
      const sip = new SipClient(livekitApiUrl(target.livekit.url), target.livekit.apiKey, target.livekit.apiSecret);
      try {
        await sip.transferSipParticipant(target.room, target.callerIdentity, target.transferTo);
        logger.info({ to }, 'caller transferred');
        return 'The caller is being transferred.';
      } catch (e) {
        const { status, message } = e as { status?: number; message: string };
        logger.warn({ to, status, error: message }, WORKER_LOG.transferFailed);
        return `${TRANSFER_FAILED} (${status ?? 'no answer'}: ${message}). Apologise: you could not put the caller through to a person.`;
      }
    },
  });
}

/**
 * The tools an agent has on a phone call: hang up when the conversation is over (the framework's
 * end-call tool: it lets the goodbye play, then deletes the room, which for livekit-sip is the BYE),
 * press keys into a phone menu (DTMF, the framework's tool), and transfer to a person when a
 * number to transfer to is configured.
 */
export function phoneTools(transfer?: TransferTarget): llm.ToolContextEntry[] {
  return [beta.createEndCallTool({ ignoreOnEnter: true }), beta.sendDtmfEvents, ...(transfer ? [transferToPersonTool(transfer)] : [])];
}

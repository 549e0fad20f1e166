import { log, type voice } from '@livekit/agents';
import { type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';

/** How the keys reach the conversation: the caller's message, e.g. `Keypad: 4 7 2 9`. */
export function keypadMessage(digits: string): string {
  return `Keypad: ${[...digits].join(' ')}`;
}

/**
 * Keys a phone caller types (livekit-sip forwards RFC 4733 DTMF into the room as DTMF packets),
 * collected until `#` or a pause and handed to the conversation as the caller's input, as if they
 * had said the digits: an order number, a menu choice. `*` and the letters are kept; `#` only ends.
 */
export class KeypadInput {
  readonly #logger = log().child({ component: 'keypad' });
  #digits = '';
  #timer?: NodeJS.Timeout;

  constructor(
    private readonly room: Room,
    private readonly caller: RemoteParticipant,
    private readonly session: voice.AgentSession,
    private readonly pauseMs: number,
  ) {
    room.on(RoomEvent.DtmfReceived, this.#onDtmf);
  }

  close(): void {
    this.room.off(RoomEvent.DtmfReceived, this.#onDtmf);
    clearTimeout(this.#timer);
  }

  readonly #onDtmf = (_code: number, digit: string, participant: RemoteParticipant): void => {
    if (participant.identity !== this.caller.identity) return;
    clearTimeout(this.#timer);
    if (digit === '#') return this.#submit();
    this.#digits += digit;
    this.#timer = setTimeout(() => this.#submit(), this.pauseMs);
  };

  #submit(): void {
    const digits = this.#digits;
    this.#digits = '';
    if (!digits) return;
    this.#logger.info({ keys: digits.length }, 'keypad input');
    try {
      this.session.generateReply({ userInput: keypadMessage(digits) });
    } catch (e) {
      // The session is closing (the caller hung up as they typed): nobody is left to answer.
      this.#logger.warn({ error: (e as Error).message }, 'keypad input dropped');
    }
  }
}

import { ParticipantKind, type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';

/** A caller on the phone, from the attributes livekit-sip sets on its participant. */
export interface PhoneCaller {
  /** The caller's number, when the carrier passed it on. */
  number?: string;
  /** The number they dialled. */
  dialled?: string;
  callId?: string;
}

/** The phone caller `participant` is, if it is one (livekit-sip joins calls as participants of kind SIP). */
export function phoneCallerOf(participant: RemoteParticipant): PhoneCaller | undefined {
  if (participant.kind !== ParticipantKind.SIP) return undefined;
  const a = participant.attributes;
  return {
    number: a['sip.phoneNumber'] || undefined,
    dialled: a['sip.trunkPhoneNumber'] || undefined,
    callId: a['sip.callID'] || undefined,
  };
}

/**
 * Resolves once the phone call is answered: at once for a call that came in; for a call the agent
 * placed (`npm run dial`), when livekit-sip sets `sip.callStatus` to `active`. False if the phone
 * participant left first (no answer, busy, hung up while ringing).
 */
export async function callAnswered(room: Room, participant: RemoteParticipant): Promise<boolean> {
  const answered = () => ['active', undefined, ''].includes(participant.attributes['sip.callStatus']);
  if (answered()) return true;
  return new Promise((resolve) => {
    const done = (result: boolean) => {
      room.off(RoomEvent.ParticipantAttributesChanged, onChange).off(RoomEvent.ParticipantDisconnected, onLeft);
      resolve(result);
    };
    const onChange = (_changed: Record<string, string>, p: { identity: string }) => {
      if (p.identity === participant.identity && answered()) done(true);
    };
    const onLeft = (p: RemoteParticipant) => {
      if (p.identity === participant.identity) done(false);
    };
    room.on(RoomEvent.ParticipantAttributesChanged, onChange).on(RoomEvent.ParticipantDisconnected, onLeft);
  });
}

/** What the LLM is told of the call, after its instructions. */
export function phoneCallContext(caller: PhoneCaller): string {
  const from = caller.number ? `, calling from ${caller.number}` : '';
  const to = caller.dialled ? ` (they dialled ${caller.dialled})` : '';
  return `The caller is on the telephone${from}${to}. Keep every answer short and easy to follow by ear. They may also type on their keypad.`;
}

import { log, voice } from '@livekit/agents';
import { ParticipantKind, type RemoteParticipant } from '@livekit/rtc-node';
import { EchoCancellingInput } from '../../plugins/echo-cancellation/echo-cancelling-input.js';
import { PlayoutReferenceOutput } from '../../plugins/echo-cancellation/playout-reference-output.js';
import { WebRtcEchoCanceller } from '../../plugins/echo-cancellation/webrtc-echo-canceller.js';

export type EchoCancellationMode = 'auto' | 'on' | 'off';

/** Rate of the room input (the framework's default), at which the canceller runs. */
const INPUT_SAMPLE_RATE = 24_000;

/**
 * Server-side echo cancellation for one call. Browser and mobile clients cancel their own echo;
 * a phone behind a SIP trunk does not, and the agent would hear itself and interrupt its own reply.
 * `auto` turns it on for SIP participants only.
 */
export class CallEchoCancellation {
  private constructor(
    private readonly canceller: WebRtcEchoCanceller,
    readonly input: EchoCancellingInput,
  ) {}

  static forParticipant(mode: EchoCancellationMode, participant: RemoteParticipant): CallEchoCancellation | undefined {
    const on = mode === 'on' || (mode === 'auto' && participant.kind === ParticipantKind.SIP);
    if (!on) return undefined;
    const canceller = WebRtcEchoCanceller.create({ sampleRate: INPUT_SAMPLE_RATE });
    const logger = log().child({ component: 'echo-cancellation' });
    const input = new EchoCancellingInput(canceller, (farEndDelayMs, { delayMs, correlation }) =>
      logger.info({ echoDelayMs: delayMs, correlation: Math.round(correlation * 100) / 100, farEndDelayMs }, 'echo delay measured'),
    );
    return new CallEchoCancellation(canceller, input);
  }

  /** Room input options that put the canceller before the VAD and the STT. */
  get inputOptions(): { audioSampleRate: number; noiseCancellation: EchoCancellingInput } {
    return { audioSampleRate: INPUT_SAMPLE_RATE, noiseCancellation: this.input };
  }

  /** After `session.start`: the agent's playout becomes the canceller's reference. */
  tapPlayout(session: voice.AgentSession): void {
    const room = session.output.audio;
    if (!room) throw new Error('echo cancellation needs the session audio output: start the session with a room first');
    const tap = new PlayoutReferenceOutput(this.canceller, room);
    session.output.audio = tap;
    this.input.farEnd = tap;
    session.on(voice.AgentSessionEventTypes.Close, () => {
      this.canceller.close();
      const { processedFrames, skippedFrames, energyIn, energyOut, removedWhilePlaying } = this.input;
      log().child({ component: 'echo-cancellation' }).info(
        {
          nearFrames: processedFrames,
          skippedFrames,
          referenceFrames: tap.releasedFrames,
          echoDelayMs: this.input.delayEstimator.current?.delayMs,
          farEndDelayMs: this.input.farEndDelayMs,
          removedDb: energyOut > 0 ? Math.round(10 * Math.log10(energyIn / energyOut) * 10) / 10 : undefined,
          echoRemovedDb: removedWhilePlaying.median(),
          mutedAtReplyStart: this.input.replyStartGate.mutedFrames,
        },
        'echo cancellation summary',
      );
    });
  }
}


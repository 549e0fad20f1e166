import { type ModelSettings, log, type stt, voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import type { ReadableStream } from 'node:stream/web';
import { backchannelFilter } from './backchannel-filter.js';
import { preflightOnEndOfUtterance } from './preflight-transcripts.js';

export interface ListeningOptions {
  /** See preflight-transcripts.ts. */
  preflightTranscripts: boolean;
  /** See backchannel-filter.ts. */
  ignoreBackchannels: boolean;
}

/**
 * The agent of every call: the framework's `voice.Agent`, with our policy on what it hears applied
 * to its STT node: preflight transcripts so replies start sooner, and backchannels ignored while it
 * speaks so an "uh-huh" or a cough does not cut a reply short.
 */
export class ListeningAgent extends voice.Agent {
  readonly #logger = log().child({ component: 'listening' });

  constructor(
    opts: voice.AgentOptions<unknown>,
    private readonly listening: ListeningOptions,
  ) {
    super(opts);
  }

  override async sttNode(audio: ReadableStream<AudioFrame> | AsyncIterable<AudioFrame>, settings: ModelSettings): Promise<ReadableStream<stt.SpeechEvent | string> | null> {
    let events = await super.sttNode(audio, settings);
    if (!events) return events;
    if (this.listening.preflightTranscripts) events = events.pipeThrough(preflightOnEndOfUtterance());
    if (this.listening.ignoreBackchannels) {
      events = events.pipeThrough(
        backchannelFilter(
          () => {
            const speech = this.getActivityOrThrow().currentSpeech;
            return speech !== undefined && !speech.done() && !speech.interrupted && speech.allowInterruptions;
          },
          (text) => this.#logger.info({ 'lk.pii.transcript': text }, 'backchannel ignored while speaking'),
        ),
      );
    }
    return events;
  }
}

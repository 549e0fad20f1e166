import { ReadableStream } from 'node:stream/web';
import { type llm, log, type ModelSettings, type stt, tts, USERDATA_TIMED_TRANSCRIPT, voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { backchannelFilter } from './interruptions/backchannel-filter.js';
import { feedWithFirstPhraseFlush } from './reply/first-phrase.js';
import type { PendingTranscripts } from './turn-taking/pending-transcript.js';
import { preflightOnEndOfUtterance } from './turn-taking/preflight-transcripts.js';

export interface ListeningOptions {
  /** See preflight-transcripts.ts. */
  preflightTranscripts: boolean;
  /** See backchannel-filter.ts. */
  ignoreBackchannels: boolean;
  /** See first-phrase.ts; 0: the framework's TTS node, whole sentences. */
  firstPhraseWords: number;
  /** Counts the transcripts the STT owes, for the endpointing (adaptive-endpointing.ts). */
  pendingTranscripts?: PendingTranscripts;
}

/** How long a reply the caller cut off may take to be committed to the history before the next reply goes on without it. */
const CUT_REPLY_COMMIT_TIMEOUT_MS = 2000;

/**
 * The agent of every call: the framework's `voice.Agent`, with our policy on what it hears applied
 * to its STT node: the transcripts the STT owes counted so no turn ends without them, preflight
 * transcripts so replies start sooner, and backchannels ignored while it speaks so an "uh-huh" or a cough does not cut a reply short; the reply to a barge-in made
 * knowing what the caller heard of the reply it cut; and its replies' first phrase spoken without
 * waiting for the rest of the first sentence.
 */
export class ListeningAgent extends voice.Agent {
  readonly #logger = log().child({ component: 'listening' });

  constructor(
    opts: voice.AgentOptions<unknown>,
    private readonly listening: ListeningOptions,
  ) {
    super(opts);
  }

  /**
   * A barge-in ends the caller's turn while the reply they talked over is still being cut:
   * agents-js 1.8.1 (`AgentActivity.userTurnCompleted`) interrupts it and copies the history for
   * the next reply at once, before the cut reply's message (the words the caller heard) is added.
   * When the final transcript comes after the turn's silence has passed (a slow STT), the turn ends
   * as the reply is cut, and the LLM answered the barge-in without knowing what it had just said.
   * This waits for the cut reply to be committed and gives the next reply its message. It can go
   * once the framework waits for the interrupted speech before copying the history.
   *
   * TODO(upstream): file at https://github.com/livekit/agents-js/issues "userTurnCompleted copies
   * the chat history before the interrupted reply's message is committed", and link it here.
   */
  override async onUserTurnCompleted(chatCtx: llm.ChatContext, newMessage: llm.ChatMessage): Promise<void> {
    await super.onUserTurnCompleted(chatCtx, newMessage);
    const cut = this.getActivityOrThrow().currentSpeech;
    if (!cut?.interrupted || cut.done()) return;
    const committed = await Promise.race([
      cut.waitForPlayout().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), CUT_REPLY_COMMIT_TIMEOUT_MS).unref()),
    ]);
    if (!committed) return this.#logger.warn({ speechId: cut.id }, 'cut reply not committed in time: the reply goes on without it');
    const missing = this.chatCtx.items.filter((item) => chatCtx.getById(item.id) === undefined);
    chatCtx.insert(missing);
  }

  override async sttNode(
    audio: ReadableStream<AudioFrame> | AsyncIterable<AudioFrame>,
    settings: ModelSettings,
  ): Promise<ReadableStream<stt.SpeechEvent | string> | null> {
    let events = await super.sttNode(audio, settings);
    if (!events) return events;
    // First, as the STT sent them: the filters below drop events, not what the STT owes.
    if (this.listening.pendingTranscripts) events = events.pipeThrough(this.listening.pendingTranscripts.watch());
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

  /**
   * The framework's TTS node (agents-js 1.8.1 `Agent.default.ttsNode`) feeds the text through a
   * stream that cannot carry a flush (its `pumpInput` stops at one), so this node feeds the TTS
   * stream itself to flush after the first phrase. Non-streaming TTSes keep the framework's node.
   */
  override async ttsNode(
    text: ReadableStream<string> | AsyncIterable<string>,
    settings: ModelSettings,
  ): Promise<ReadableStream<AudioFrame> | null> {
    const activity = this.getActivityOrThrow();
    const engine = activity.tts;
    if (this.listening.firstPhraseWords === 0 || !engine?.capabilities.streaming) return super.ttsNode(text, settings);
    const input = text instanceof ReadableStream ? text : ReadableStream.from(text);
    const stream = engine.stream({ connOptions: activity.agentSession.connOptions.ttsConnOptions });
    const logger = this.#logger;
    feedWithFirstPhraseFlush(input, stream, this.listening.firstPhraseWords).catch((error: unknown) => {
      logger.warn({ error }, 'reply text not fed to the TTS');
      stream.endInput();
    });
    const cleanup = async () => {
      stream.close();
      await input.cancel('tts node cleanup').catch(() => {});
    };
    return new ReadableStream<AudioFrame>({
      async start(controller) {
        try {
          for await (const chunk of stream) {
            if (chunk === tts.SynthesizeStream.END_OF_STREAM) break;
            if (chunk.timedTranscripts?.length) chunk.frame.userdata[USERDATA_TIMED_TRANSCRIPT] = chunk.timedTranscripts;
            controller.enqueue(chunk.frame);
          }
          controller.close();
        } finally {
          await cleanup();
        }
      },
      cancel: cleanup,
    });
  }
}

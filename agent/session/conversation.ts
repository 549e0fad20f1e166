import type { stt, tts, VAD } from '@livekit/agents';
import { llm, voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import type { TurnLatencyRecord } from '../../contracts/turn-record.js';
import type { EchoCancellation } from '../../plugins/echo-cancellation/index.js';
import type { AgentConfig } from '../config/schema.js';
import type { HistoryEntry } from '../continuity/call-store.js';
import { logTurnLatencies } from '../metrics/turn-latency-logging.js';
import { ReconnectingSTT } from '../providers/reconnecting-stt.js';
import { RESUME_SETTLE_MS, TranscriptGatedResume } from './interruptions/transcript-gated-resume.js';
import { ListeningAgent } from './listening-agent.js';
import { type PhoneCaller, phoneCallContext } from './phone/phone-call.js';
import { ProviderFailureApology } from './reply/provider-failure-apology.js';
import { endpointingPolicy, sessionOptions, turnEndStages } from './session-options.js';
import { adaptEndpointing } from './turn-taking/adaptive-endpointing.js';
import { PendingTranscripts } from './turn-taking/pending-transcript.js';
import { commitOnEndOfSpeech } from './turn-taking/stt-commit.js';
import { TURN_END_TIMEOUT_MS, TurnEndDetector, type TurnEndScorers } from './turn-taking/turn-end-detector.js';
import { TURN_END_WEIGHTS } from './turn-taking/turn-end-model.js';

export interface ConversationProviders {
  vad: VAD;
  /** The end-of-turn models the combined detector asks (turn.detector `combined`). */
  turnEnd?: TurnEndScorers;
  /** Built with the callback through which the STT reports an utterance it lost, so the agent can apologise. */
  stt: (onTranscriptionLost: () => void) => stt.STT;
  llm: llm.LLM;
  tts: tts.TTS;
}

/**
 * The conversation of one call: an AgentSession with our turn handling, the listening agent, an
 * apology for a turn lost to a provider, and a latency record per turn, started with the greeting.
 * agent/voice-agent.ts holds it in a room; the fast tests hold the same one on fake providers.
 */
export class Conversation {
  readonly session: voice.AgentSession;
  readonly #agent: ListeningAgent;
  readonly #earlier: HistoryEntry[];
  readonly #pendingTranscripts: PendingTranscripts;

  constructor(
    private readonly cfg: AgentConfig,
    providers: ConversationProviders,
    opts: {
      /** Each turn's latency record, e.g. for the worker's metrics. */
      onTurn?: (record: TurnLatencyRecord) => void;
      /** The caller is on the phone: the LLM is told so. */
      phoneCaller?: PhoneCaller;
      /** What the agent can do besides talking (e.g. phoneTools()). */
      tools?: llm.ToolContextEntry[];
      /** The call so far, when this conversation takes over a call whose agent was lost (agent/continuity). */
      earlier?: HistoryEntry[];
    } = {},
  ) {
    const apology = new ProviderFailureApology(cfg.agent.apology);
    const transcriber = providers.stt(() => apology.transcriptionLost());
    const phoneLine = opts.phoneCaller !== undefined;
    const pendingTranscripts = new PendingTranscripts();
    this.#pendingTranscripts = pendingTranscripts;
    const turnEndDetector = this.#turnEndDetector(cfg, providers.turnEnd, phoneLine, pendingTranscripts);
    this.session = new voice.AgentSession({
      vad: providers.vad,
      stt: transcriber,
      llm: providers.llm,
      tts: providers.tts,
      ...sessionOptions(cfg, { phoneLine, turnEndDetector }),
    });
    apology.attach(this.session);
    if (transcriber instanceof ReconnectingSTT) commitOnEndOfSpeech(this.session, transcriber, pendingTranscripts);
    adaptEndpointing(this.session, endpointingPolicy(cfg.turn), phoneLine, pendingTranscripts, {
      unfinishedWords: cfg.turn.detector !== 'combined',
    });
    turnEndDetector?.attach(this.session);
    logTurnLatencies(this.session, opts.onTurn);
    const instructions = opts.phoneCaller ? `${cfg.agent.instructions}\n\n${phoneCallContext(opts.phoneCaller)}` : cfg.agent.instructions;
    this.#earlier = opts.earlier ?? [];
    const chatCtx = llm.ChatContext.empty();
    for (const line of this.#earlier) chatCtx.addMessage({ role: line.role, content: line.text });
    this.#agent = new ListeningAgent(
      { instructions, tools: opts.tools, chatCtx },
      {
        preflightTranscripts: cfg.stt.preflightTranscripts,
        ignoreBackchannels: cfg.turn.ignoreBackchannels,
        firstPhraseWords: cfg.tts.firstPhraseWords,
        pendingTranscripts,
      },
    );
  }

  /** The combined detector of this call, which sets the session's longer wait as it decides (turn-end-detector.ts). */
  #turnEndDetector(
    cfg: AgentConfig,
    scorers: TurnEndScorers | undefined,
    phoneLine: boolean,
    pending: PendingTranscripts,
  ): TurnEndDetector | undefined {
    if (cfg.turn.detector !== 'combined') return undefined;
    if (!scorers) throw new Error('turn.detector combined: no end-of-turn models given');
    return new TurnEndDetector(scorers, {
      weights: TURN_END_WEIGHTS,
      stages: turnEndStages(cfg.turn, phoneLine),
      timeoutMs: TURN_END_TIMEOUT_MS,
      transcriptOwed: () => pending.pending,
      setNotDoneDelay: (ms) => this.session.updateOptions({ turnHandling: { endpointing: { maxDelay: ms } } }),
    });
  }

  /**
   * Starts the session (in `room`, when given, with the caller's echo removed if asked; a paused
   * reply resumed only once the caller's words are known, transcript-gated-resume.ts) and greets
   * the caller; on a call taken over from a lost agent, says so instead and answers what the caller
   * said last if the lost agent had not.
   */
  async start(opts: { room?: Room; echoCancellation?: EchoCancellation } = {}): Promise<void> {
    await this.session.start({ agent: this.#agent, room: opts.room, inputOptions: opts.echoCancellation?.inputOptions });
    opts.echoCancellation?.attach(this.session);
    const output = this.session.output.audio;
    if (output)
      this.session.output.audio = new TranscriptGatedResume(output, this.#pendingTranscripts, {
        maxHoldMs: this.cfg.turn.transcriptWaitMs,
        settleMs: RESUME_SETTLE_MS,
      });
    if (this.#earlier.length === 0) {
      this.session.say(this.cfg.agent.greeting);
      return;
    }
    this.session.say(this.cfg.agent.resumption, { addToChatCtx: false });
    if (this.#earlier.at(-1)?.role === 'user') this.session.generateReply();
  }
}

import {
  AudioStream,
  type DisconnectReason,
  LocalAudioTrack,
  ParticipantKind,
  type RemoteParticipant,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { resample } from '../speech/audio.js';
import { PhoneLine } from '../speech/phone-line.js';
import { AgentSpeechTracker, type SpeechSegment } from './agent-speech-tracker.js';
import { type EchoOptions, EchoPath } from './echo-path.js';
import { MIC_SAMPLE_RATE, Microphone } from './microphone.js';

/** What the caller speaks with: any synthesizer, or recorded speech. */
export interface CallerVoice {
  synthesize(text: string): Promise<{ pcm: Int16Array; sampleRate: number }>;
}

export interface Transcriber {
  recognize(pcm: Int16Array, sampleRate: number): Promise<{ text: string }>;
}

export interface CallerOptions {
  url: string;
  token: string;
  synthesizer: CallerVoice;
  transcriber: Transcriber;
  /** How long to wait for the agent to join and for each reply to start. */
  timeoutMs?: number;
  /** Quiet that ends an agent reply; the caller speaks only after it, as a polite person would. */
  agentDoneSilenceMs?: number;
  /** The agent's voice comes back into the caller's microphone (speakerphone, no echo cancellation). */
  echo?: EchoOptions;
  /**
   * A phone network between the caller and the room, both ways (phone-line.ts): what a caller
   * behind livekit-sip sends and hears.
   */
  phoneLine?: boolean;
  /** The caller is in a noisy room: this bed (looped, at its rate and level) reaches their microphone all the time. */
  roomNoise?: { pcm: Int16Array; sampleRate: number };
}

/** RFC 4733 event codes of the keypad, as livekit-sip forwards them. */
const DTMF_CODES: Record<string, number> = {
  '0': 0,
  '1': 1,
  '2': 2,
  '3': 3,
  '4': 4,
  '5': 5,
  '6': 6,
  '7': 7,
  '8': 8,
  '9': 9,
  '*': 10,
  '#': 11,
};

export interface HeardSpeech {
  text: string;
  audioMs: number;
  /** Silences of 500 ms or more inside the speech: the agent paused (sentence breaks are shorter). */
  pausesMs: number[];
  /** performance.now() when the first audible sample arrived. */
  startedAt: number;
}

export interface TurnResult {
  question: string;
  reply: string;
  replyAudioMs: number;
  /** From the last sample of the question sent to the first audible sample of the reply received. */
  latencyMs: number;
}

export interface TalkOver {
  /** When the reply the caller talked over started being heard, and where in the recording. */
  replyStartedAt: number;
  replyFromSample: number;
  /** performance.now() when the caller's first and last samples were sent. */
  speechStartAt: number;
  speechEndAt: number;
}

export interface AgentStop {
  /** Arrival of the end of the last audible frame before the agent fell silent. */
  lastHeardAt: number;
  /** From the onset of the caller's speech to that last frame. */
  stopMs: number;
  /** The reply as heard up to the stop (transcribed), and how long it had been audible. */
  heardText: string;
  heardMs: number;
}

export interface ConversationResult {
  greeting: HeardSpeech;
  turns: TurnResult[];
}

const RECEIVE_RATE = 48_000;
/** A silence this long inside the agent's speech is a pause, not a break between sentences. */
const PAUSE_MS = 500;
/** Context kept around a reply when transcribing it, so word edges are not clipped. */
const TRANSCRIBE_PAD_MS = 200;

/**
 * A caller in a LiveKit room, built on rtc-node like any client: it publishes a microphone track
 * with synthesized utterances, records the agent's audio as it arrives, and measures each turn as
 * the caller hears it.
 */
export class SimulatedCaller {
  readonly #tracker: AgentSpeechTracker;
  readonly #timer: NodeJS.Timeout;
  #agent?: RemoteParticipant;
  #agentAudio = false;
  /** Keys other participants pressed into the call (DTMF), as a phone hears them, in order. */
  readonly keysHeard: string[] = [];
  /** Resolves with the reason when the server ends this caller's connection (removed, room deleted), not when it hangs up. */
  readonly removed: Promise<DisconnectReason>;
  #hungUp = false;

  private constructor(
    readonly room: Room,
    private readonly mic: Microphone,
    tracker: AgentSpeechTracker,
    private readonly opts: Required<Pick<CallerOptions, 'timeoutMs' | 'agentDoneSilenceMs'>> & CallerOptions,
    private readonly echo?: EchoPath,
    /** The line's direction towards the caller. */
    private readonly earpiece?: PhoneLine,
  ) {
    this.#tracker = tracker;
    this.removed = new Promise((resolve) => {
      room.on(RoomEvent.Disconnected, (reason: DisconnectReason) => {
        if (!this.#hungUp) resolve(reason);
      });
    });
    room.on(RoomEvent.DtmfReceived, (_code: number, digit: string) => this.keysHeard.push(digit));
    // Frames may stop arriving altogether (agent left): close segments on wall-clock time too.
    this.#timer = setInterval(() => tracker.closeIfQuiet(performance.now()), 50);
  }

  static async join(options: CallerOptions): Promise<SimulatedCaller> {
    const opts = { ...options, timeoutMs: options.timeoutMs ?? 30_000, agentDoneSilenceMs: options.agentDoneSilenceMs ?? 1500 };
    const room = new Room();
    const tracker = new AgentSpeechTracker({ sampleRate: RECEIVE_RATE, hangoverMs: opts.agentDoneSilenceMs });
    const echo = opts.echo && new EchoPath(opts.echo, RECEIVE_RATE);
    const roomNoise = opts.roomNoise && resample(opts.roomNoise.pcm, opts.roomNoise.sampleRate, MIC_SAMPLE_RATE);
    const mic = new Microphone(echo, opts.phoneLine ? new PhoneLine(MIC_SAMPLE_RATE) : undefined, roomNoise);
    const caller = new SimulatedCaller(room, mic, tracker, opts, echo, opts.phoneLine ? new PhoneLine(RECEIVE_RATE) : undefined);
    room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack, _pub, participant: RemoteParticipant) => {
      if (track.kind !== TrackKind.KIND_AUDIO || participant.kind !== ParticipantKind.AGENT) return;
      caller.#agent = participant;
      caller.#agentAudio = true;
      void caller.#record(track);
    });
    try {
      await room.connect(opts.url, opts.token, { autoSubscribe: true, dynacast: false });
      const publish = new TrackPublishOptions();
      publish.source = TrackSource.SOURCE_MICROPHONE;
      await room.localParticipant!.publishTrack(LocalAudioTrack.createAudioTrack('microphone', mic.source), publish);
    } catch (e) {
      await caller.hangUp();
      throw e;
    }
    return caller;
  }

  get agentIdentity(): string | undefined {
    return this.#agent?.identity;
  }

  /** Resolves once an agent participant's audio track is subscribed. */
  waitForAgent(): Promise<void> {
    return this.waitForAgentWithin(this.opts.timeoutMs);
  }

  async waitForAgentWithin(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#agentAudio) {
      if (Date.now() > deadline) throw new Error(`no agent audio track within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The greeting, then each question after the agent has finished its previous reply. */
  async converse(questions: string[]): Promise<ConversationResult> {
    await this.waitForAgent();
    const greeting = await this.hearNextSpeech(0);
    const turns: TurnResult[] = [];
    for (const question of questions) turns.push(await this.ask(question));
    return { greeting, turns };
  }

  async ask(question: string): Promise<TurnResult> {
    await this.waitUntilAgentQuiet();
    const speech = await this.opts.synthesizer.synthesize(question);
    const questionEndedAt = await this.mic.speak(speech.pcm, speech.sampleRate);
    const reply = await this.hearNextSpeech(questionEndedAt);
    return { question, reply: reply.text, replyAudioMs: reply.audioMs, latencyMs: reply.startedAt - questionEndedAt };
  }

  /** Publishes an utterance without waiting for any reply; resolves when its last sample was sent. */
  say(text: string): Promise<number> {
    return this.opts.synthesizer.synthesize(text).then((s) => this.speak(s));
  }

  /** Publishes prepared audio; resolves with performance.now() when its last sample was sent. */
  speak(speech: { pcm: Int16Array; sampleRate: number }): Promise<number> {
    return this.mic.speak(speech.pcm, speech.sampleRate);
  }

  /** Presses keys on the keypad, as livekit-sip forwards them into the room (RFC 4733 events), `gapMs` apart. */
  async pressKeys(keys: string, gapMs = 150): Promise<void> {
    for (const key of keys) {
      const code = DTMF_CODES[key];
      if (code === undefined) throw new Error(`'${key}' is not a key of a phone keypad`);
      await this.room.localParticipant!.publishDtmf(code, key);
      await new Promise((r) => setTimeout(r, gapMs));
    }
  }

  /** Resolves with when the agent was first heard speaking after `after` (performance.now()), as soon as it is. */
  async agentSpeaking(after: number): Promise<number> {
    const since = () =>
      this.#tracker.segments.find((s) => s.start >= after)?.start ??
      ((this.#tracker.openSince ?? -1) >= after ? this.#tracker.openSince : undefined);
    await this.#tracker.waitUntil(() => since() !== undefined, this.opts.timeoutMs, 'the agent to speak');
    return since()!;
  }

  /** Resolves once the agent is not speaking (its last reply ended with the hangover's quiet). */
  waitUntilAgentQuiet(): Promise<void> {
    return this.#tracker.waitUntil(() => !this.#tracker.speaking, this.opts.timeoutMs, 'the agent to stop speaking');
  }

  /** Waits for the first agent speech that starts after `after`, hears it to its end, and transcribes it. */
  async hearNextSpeech(after: number): Promise<HeardSpeech> {
    const startsAfter = (s: { start: number }) => s.start >= after;
    await this.#tracker.waitUntil(
      () => this.#tracker.segments.some(startsAfter) || (this.#tracker.openSince ?? -1) >= after,
      this.opts.timeoutMs,
      'the agent to speak',
    );
    await this.#tracker.waitUntil(() => this.#tracker.segments.some(startsAfter), 120_000, 'the agent to finish speaking');
    const segment = this.#tracker.segments.find(startsAfter)!;
    return {
      text: await this.#transcribe(segment),
      audioMs: segment.end - segment.start,
      startedAt: segment.start,
      pausesMs: this.#tracker.gaps(segment, PAUSE_MS),
    };
  }

  /**
   * Talks over the agent: waits until its current reply has been audible for `afterMs`, then speaks
   * `speech` without waiting for the agent to finish.
   */
  async talkOver(speech: { pcm: Int16Array; sampleRate: number }, afterMs: number): Promise<TalkOver> {
    await this.#tracker.waitUntil(
      () => this.#tracker.openSince !== undefined && performance.now() - this.#tracker.openSince >= afterMs,
      this.opts.timeoutMs,
      `the agent to speak for ${afterMs} ms`,
    );
    const replyStartedAt = this.#tracker.openSince!;
    const replyFromSample = this.#tracker.openFromSample!;
    const speechEndAt = await this.speak(speech);
    return { replyStartedAt, replyFromSample, speechStartAt: speechEndAt - (speech.pcm.length / speech.sampleRate) * 1000, speechEndAt };
  }

  /**
   * After talking over the agent: when its audio stopped (the first silence of 500 ms after the
   * caller started talking, a pause or a cut) and what the caller had heard of the reply by then.
   */
  async agentStopped(over: TalkOver): Promise<AgentStop> {
    let stop: { at: number; toSample: number } | undefined;
    await this.#tracker.waitUntil(
      () => (stop = this.#tracker.stoppedAfter(over.speechStartAt, PAUSE_MS)) !== undefined,
      this.opts.timeoutMs,
      'the agent to stop',
    );
    const pad = (RECEIVE_RATE * TRANSCRIBE_PAD_MS) / 1000;
    const audio = this.#tracker.audio(over.replyFromSample, stop!.toSample + pad);
    return {
      lastHeardAt: stop!.at,
      stopMs: stop!.at - over.speechStartAt,
      heardMs: stop!.at - over.replyStartedAt,
      heardText: (await this.opts.transcriber.recognize(audio, RECEIVE_RATE)).text,
    };
  }

  /** After talking over the agent: the whole reply, to its end (pauses included, if shorter than the hangover). */
  async hearReply(over: TalkOver): Promise<HeardSpeech> {
    return this.hearNextSpeech(over.replyStartedAt);
  }

  async hangUp(): Promise<void> {
    this.#hungUp = true;
    clearInterval(this.#timer);
    // The microphone first: once the room is gone its queue never drains and a pending frame would hang.
    await this.mic.close();
    await this.room.disconnect();
  }

  async #transcribe(segment: SpeechSegment): Promise<string> {
    const pad = (RECEIVE_RATE * TRANSCRIBE_PAD_MS) / 1000;
    const audio = this.#tracker.audio(Math.max(0, segment.fromSample - pad), segment.toSample + pad);
    return (await this.opts.transcriber.recognize(audio, RECEIVE_RATE)).text;
  }

  async #record(track: RemoteTrack): Promise<void> {
    const stream = new AudioStream(track, { sampleRate: RECEIVE_RATE, numChannels: 1 });
    for await (const frame of stream) {
      const heard = this.earpiece ? this.earpiece.process(frame.data) : frame.data;
      this.#tracker.push(heard, performance.now());
      this.echo?.heard(heard);
    }
  }
}

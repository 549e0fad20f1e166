import { log, voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import type { PendingTranscripts } from '../turn-taking/pending-transcript.js';

export interface TranscriptGatedResumeOptions {
  /** The longest a resume is held for a transcript (the endpointing's wait for one, transcriptWaitMs). */
  maxHoldMs: number;
  /**
   * After the transcript came: time for the session to act on it (pause again, or cut the reply)
   * before the held resume goes through. The transcript reaches the STT node's watch before the
   * session, so resuming at once would play a blip of the reply that is about to be cut.
   */
  settleMs: number;
}

/** Long enough for the session to take a final transcript in, even on a busy event loop; short next to the false-interruption timeout. */
export const RESUME_SETTLE_MS = 250;

/**
 * The head of the session's audio output: a reply paused because the caller spoke over it is not
 * resumed while the STT owes the transcript of what they said. A pause with no words after it
 * (a cough, a click) is a false interruption; a pause whose words are still being transcribed is
 * not known to be one yet.
 *
 * agents-js 1.8.1 (`AgentActivity.startFalseInterruptionTimer`) resumes a paused reply
 * `falseInterruptionTimeout` after the caller's speech ends unless an end-of-turn decision is open,
 * and with an STT none opens before the first transcript (`AudioRecognition.runEOUDetection`:
 * "skipping EOU detection"). With pocketsphinx on a loaded machine the transcript came later than
 * the timeout: the reply resumed, then the barge-in cut it, and the caller heard the agent start
 * again over their question. This can go once the framework's timer also waits for a transcript
 * the STT owes. TODO(upstream): file at https://github.com/livekit/agents-js/issues "false
 * interruption timer resumes a paused reply while the STT still owes the transcript", and link it here.
 *
 * Only a resume of paused audio is held: a new reply after a cut one (`clearBuffer` in between)
 * plays at once. Holding is invisible to the session, which counts the reply as resumed; when the
 * transcript interrupts it, the session pauses or clears this output, which drops the held resume.
 */
export class TranscriptGatedResume extends voice.AudioOutput {
  /** Paused by the session, and not resumed or cleared since. */
  #paused = false;
  #held?: { since: number; timer?: NodeJS.Timeout; maxTimer: NodeJS.Timeout };
  readonly #logger = log().child({ component: 'transcript-gated-resume' });

  constructor(
    next: voice.AudioOutput,
    private readonly pending: PendingTranscripts,
    private readonly opts: TranscriptGatedResumeOptions,
  ) {
    super(next.sampleRate, next, { pause: true });
    pending.onChange((owed) => {
      if (owed || !this.#held || this.#held.timer) return;
      this.#held.timer = setTimeout(() => this.#release(), this.opts.settleMs).unref();
    });
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    await this.nextInChain!.captureFrame(frame);
  }

  override flush(): void {
    super.flush();
    this.nextInChain!.flush();
  }

  override clearBuffer(): void {
    this.#drop();
    this.#paused = false;
    this.nextInChain!.clearBuffer();
  }

  override pause(): void {
    this.#drop();
    this.#paused = true;
    super.pause();
  }

  override resume(): void {
    if (this.#held) return;
    if (this.#paused && this.pending.pending) {
      this.#held = { since: performance.now(), maxTimer: setTimeout(() => this.#release(), this.opts.maxHoldMs).unref() };
      return;
    }
    this.#paused = false;
    super.resume();
  }

  override onDetached(): void {
    this.#drop();
    super.onDetached();
  }

  #release(): void {
    const held = this.#held;
    if (!held) return;
    this.#drop();
    this.#logger.debug({ heldMs: Math.round(performance.now() - held.since) }, 'paused reply resumed after the transcript it waited for');
    this.#paused = false;
    super.resume();
  }

  #drop(): void {
    if (!this.#held) return;
    clearTimeout(this.#held.timer);
    clearTimeout(this.#held.maxTimer);
    this.#held = undefined;
  }
}

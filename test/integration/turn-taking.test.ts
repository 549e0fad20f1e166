import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endsUnfinished } from '../../agent/session/turn-taking/endpointing-policy.js';
import type { TurnLatencyRecord } from '../../contracts/turn-record.js';
import { normalizeWords } from '../../contracts/words.js';
import type { HeardSpeech } from '../../harness/caller/simulated-caller.js';
import { joinWithPauses, rms, trimSilence } from '../../harness/speech/audio.js';
import { babbleBed, underBed } from '../../harness/speech/noise-beds.js';
import { wordOverlap } from '../../harness/speech/words.js';
import type { StackWorker } from '../../harness/stack/local-stack.js';
import { type CallTestBed, startCallTestBed, type TestCallerOptions } from '../support/call-test-bed.js';

/** How long after its reply the agent is given to answer a second time (it must not). */
const SECOND_ANSWER_WAIT_MS = 2500;
/** The room's voices under the caller's, as in the turn-taking benchmark's babble condition. */
const BABBLE_SNR_DB = 10;
/**
 * Answered in a noisy room: not never, as before the speech-level gate. Measured 2.4 and 4.6 s, and
 * 7.3 s in a fresh-clone CI where a loud moment of the room passed the gate just after the caller
 * stopped and became a turn of its own ("yeah"): the reply then waited for that turn's end too.
 * Room voices taken for the caller are the benchmark's babble cut-offs (README, Turn-taking), not
 * this test's point.
 */
const ANSWERED_IN_BABBLE_WITHIN_MS = 10_000;

/** When the agent decides the caller is done, heard from the caller's side: the end-of-turn model and the endpointing policy (the default). */
describe('turn-taking', () => {
  let bed: CallTestBed;
  /**
   * The same stack's agent deciding on a fixed delay after the VAD (`TURN_DETECTOR=vad`), as long
   * as it takes a VAD alone to stop cutting callers off: 1200 ms, its quickest setting under 5 %
   * false cut-offs in `npm run bench -- turn-taking`.
   */
  let fixedDelayWorker: StackWorker;
  /**
   * The agent hearing the caller through the speech-level gate, its VAD committing to the STT
   * (`TURN_SPEECH_GATE=true STT_COMMIT=agent`, not the defaults: README, Turn-taking).
   */
  let gatedWorker: StackWorker;

  beforeAll(async () => {
    bed = await startCallTestBed({ name: 'turn-taking', httpPort: 18189 });
    fixedDelayWorker = await bed.startWorker('agent-turn-taking-fixed', 18190, {
      TURN_DETECTOR: 'vad',
      TURN_MIN_ENDPOINTING_DELAY_MS: '1200',
      TURN_UNFINISHED_DELAY_MS: '1200',
    });
    gatedWorker = await bed.startWorker('agent-turn-taking-gated', 18197, { TURN_SPEECH_GATE: 'true', STT_COMMIT: 'agent' });
    // A first call on a fresh worker warms what the tests measure (measured: its reply came 5 s late).
    await sayInPieces(bed.worker, ['Hello there.']);
  }, 120_000);
  afterAll(async () => {
    await bed?.stop();
  });

  interface SpokenTurn {
    reply: HeardSpeech;
    /** performance.now() when the caller's last sample was sent. */
    finishedAt: number;
    /** The turns the worker logged for it. */
    turns: TurnLatencyRecord[];
  }

  /** One call: after the greeting, the caller says `pieces` with `pausesMs` between them and hears the reply. */
  async function sayInPieces(
    worker: StackWorker,
    pieces: string[],
    pausesMs: number[] = [],
    callerOptions: TestCallerOptions = {},
  ): Promise<SpokenTurn> {
    const { caller } = await bed.call(worker.agentName, callerOptions);
    try {
      await caller.waitForAgent();
      await caller.hearNextSpeech(0);
      const speech = await Promise.all(pieces.map((p) => bed.voice.synthesize(p)));
      const mark = worker.log.mark();
      const startedAt = performance.now();
      const finishedAt = await caller.speak(joinWithPauses(speech, pausesMs));
      // From the start: an agent that answers in a pause is heard before the caller has finished.
      const reply = await caller.hearNextSpeech(startedAt);
      await new Promise((r) => setTimeout(r, SECOND_ANSWER_WAIT_MS));
      await caller.waitUntilAgentQuiet();
      return { reply, finishedAt, turns: worker.log.turns(mark) };
    } finally {
      await caller.hangUp();
    }
  }

  // Under load the second half's final transcript came 2.9 s after the speech ended (pocketsphinx
  // behind real time), past every endpointing delay: the turn waits for it (pending-transcript.ts).
  it('a caller who pauses 800 ms mid-sentence is not cut off and gets one answer to the whole sentence', async () => {
    const pieces = ['So my question is', 'do you deliver on Sundays?'];
    const { reply, finishedAt, turns } = await sayInPieces(bed.worker, pieces, [800]);
    console.log(JSON.stringify({ heard: reply.text, afterFinishMs: reply.startedAt - finishedAt, turns: turns.map((t) => t.userText) }));
    expect(reply.startedAt).toBeGreaterThan(finishedAt);
    expect(turns).toHaveLength(1);
    // Both pieces in the one turn: the first one's words, then more. The recognizer gets many of the
    // second one's wrong under load ('to be the liver and sundays' for 'do you deliver on Sundays'),
    // so those are counted rather than read; a turn that lost them held 4 words.
    const words = normalizeWords(turns[0]!.userText);
    expect(wordOverlap(pieces[0]!, words.slice(0, 4).join(' '))).toBeGreaterThanOrEqual(0.5);
    expect(words.length).toBeGreaterThanOrEqual(normalizeWords(pieces[0]!).length + 2);
  });

  it('a dictated number with pauses between its groups arrives whole', async () => {
    const pieces = ['My order number is', 'four seven', 'two nine.'];
    // A first group heard as words that need nothing more ('are spending' for 'four seven', CI on
    // b260529) tells the agent no number is being dictated: that cut-off is the recognizer's, and the
    // caller says the number again (at most three times). A cut after words that need more fails.
    let spoken: SpokenTurn;
    for (let attempt = 1; ; attempt++) {
      spoken = await sayInPieces(bed.worker, pieces, [700, 900]);
      const { reply, finishedAt, turns } = spoken;
      console.log(JSON.stringify({ heard: reply.text, afterFinishMs: reply.startedAt - finishedAt, turns: turns.map((t) => t.userText) }));
      const cutAfter = reply.startedAt <= finishedAt ? turns[0]?.userText : undefined;
      if (cutAfter === undefined || endsUnfinished(cutAfter) || attempt === 3) break;
      console.log(JSON.stringify({ numberHeardAsWords: cutAfter, attempt }));
    }
    const { reply, finishedAt, turns } = spoken;
    expect(reply.startedAt).toBeGreaterThan(finishedAt);
    expect(turns).toHaveLength(1);
    // One turn holding every group: the recognizer hears flite's digits poorly ('parts of pain' for
    // 'four seven two nine'), so the words after the preamble are counted rather than read: at
    // least one for each of the two groups.
    const words = normalizeWords(turns[0]!.userText);
    expect(wordOverlap('my order number is', words.slice(0, 4).join(' '))).toBeGreaterThanOrEqual(0.5);
    expect(words.length).toBeGreaterThanOrEqual(6);
  });

  it('a caller in a room full of other voices (babble 10 dB under their voice) is answered after they finish', async () => {
    const question = 'What is the weather like today?';
    const speech = await bed.voice.synthesize(question);
    // The room as loud as the caller's voice minus 10 dB, all through the call: Silero alone hears
    // it as speech and never heard this caller stop (every turn missed in the turn-taking benchmark).
    const room = {
      pcm: underBed(
        new Int16Array(speech.sampleRate * 8),
        await babbleBed(speech.sampleRate),
        BABBLE_SNR_DB,
        rms(trimSilence(speech.pcm, speech.sampleRate)),
      ),
      sampleRate: speech.sampleRate,
    };
    const { reply, finishedAt, turns } = await sayInPieces(gatedWorker, [question], [], { roomNoise: room });
    console.log(
      JSON.stringify({ heard: reply.text, afterFinishMs: Math.round(reply.startedAt - finishedAt), turns: turns.map((t) => t.userText) }),
    );
    // What the room's voices make the agent hear is not asserted: the recognizer writes the babble
    // as words, and before the caller first speaks the gate has only the room's level to go by, so a
    // turn of the room's words can come first (the benchmark's babble cut-offs: README, Turn-taking).
    expect(reply.startedAt).toBeGreaterThan(finishedAt);
    expect(reply.startedAt - finishedAt).toBeLessThan(ANSWERED_IN_BABBLE_WITHIN_MS);
  });

  it('a plain complete question is answered sooner than with a fixed delay that protects as well', async () => {
    const question = ['What is the weather like today?'];
    const latency = async (worker: StackWorker) => {
      const { reply, finishedAt } = await sayInPieces(worker, question);
      return reply.startedAt - finishedAt;
    };
    // Alternating, three times each, so that a slow moment of the machine does not land on one side
    // only. The quickest of each: the model misjudges a finished turn now and then (it waits its
    // 1200 ms "not done" delay then, as README's Turn-taking reports), which is not what is compared.
    const model: number[] = [];
    const fixed: number[] = [];
    for (let i = 0; i < 3; i++) {
      model.push(await latency(bed.worker));
      fixed.push(await latency(fixedDelayWorker));
    }
    console.log(JSON.stringify({ modelMs: model.map(Math.round), fixedDelayMs: fixed.map(Math.round) }));
    expect(Math.min(...model)).toBeLessThan(Math.min(...fixed));
  }, 300_000); // six calls of ~25 s each under CI's load
});

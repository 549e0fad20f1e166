import { describe, expect, it } from 'vitest';
import { AgentSpeechTracker } from '../../harness/caller/agent-speech-tracker.js';

const RATE = 48000;
const FRAME = 480; // 10 ms

function frame(loud: boolean, value = 1000): Int16Array {
  return new Int16Array(FRAME).fill(loud ? value : 0);
}

/** Feeds a pattern of 10 ms frames ('x' loud, '.' quiet) starting at `t0` ms. */
function feed(tracker: AgentSpeechTracker, pattern: string, t0 = 0): number {
  let t = t0;
  for (const c of pattern) {
    tracker.push(frame(c === 'x'), t);
    t += 10;
  }
  return t;
}

describe('AgentSpeechTracker', () => {
  it('joins speech across gaps shorter than the hangover and splits at longer ones', () => {
    const tracker = new AgentSpeechTracker({ sampleRate: RATE, hangoverMs: 100 });
    feed(tracker, `..xxx${'.'.repeat(5)}xx${'.'.repeat(12)}xx${'.'.repeat(12)}`);
    expect(tracker.segments).toEqual([
      { start: 20, end: 120, fromSample: 2 * FRAME, toSample: 12 * FRAME },
      { start: 240, end: 260, fromSample: 24 * FRAME, toSample: 26 * FRAME },
    ]);
    expect(tracker.speaking).toBe(false);
  });

  it('closes a segment on wall-clock time when frames stop arriving', () => {
    const tracker = new AgentSpeechTracker({ sampleRate: RATE, hangoverMs: 100 });
    feed(tracker, 'xxx');
    expect(tracker.speaking).toBe(true);
    expect(tracker.openSince).toBe(0);
    tracker.closeIfQuiet(50);
    expect(tracker.speaking).toBe(true);
    tracker.closeIfQuiet(130);
    expect(tracker.segments).toHaveLength(1);
    expect(tracker.segments[0]!.end).toBe(30);
  });

  it('returns recorded samples across frame boundaries', () => {
    const tracker = new AgentSpeechTracker({ sampleRate: RATE });
    tracker.push(
      Int16Array.from({ length: FRAME }, (_, i) => i),
      0,
    );
    tracker.push(
      Int16Array.from({ length: FRAME }, (_, i) => FRAME + i),
      10,
    );
    expect(Array.from(tracker.audio(FRAME - 2, FRAME + 2))).toEqual([FRAME - 2, FRAME - 1, FRAME, FRAME + 1]);
  });

  it('waits for a condition and names what it waited for on timeout', async () => {
    const tracker = new AgentSpeechTracker({ sampleRate: RATE });
    const waiting = tracker.waitUntil(() => tracker.speaking, 1000, 'speech');
    feed(tracker, 'x');
    await expect(waiting).resolves.toBeUndefined();
    await expect(tracker.waitUntil(() => false, 20, 'the impossible')).rejects.toThrow('waiting for the impossible');
  });
});

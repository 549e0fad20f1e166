import { describe, expect, it } from 'vitest';
import { ReplyStartEchoGate } from './reply-start-echo-gate.js';

const FAR = 1e7; // mean square of the agent's speech
const DELAY = 400;

/** The agent starts a reply at t=1000 after a long silence and speaks on; returns what the gate mutes of `near(t)` from t=1000 to `until`. */
function run(near: (t: number) => number, until = 5000, delay = DELAY) {
  const gate = new ReplyStartEchoGate();
  const muted: number[] = [];
  gate.farPlayed(0, FAR); // an earlier reply
  for (let t = 1000; t < until; t += 10) {
    gate.farPlayed(t, FAR);
    if (gate.shouldMute(t, near(t), delay)) muted.push(t);
  }
  return { muted, gate };
}

describe('ReplyStartEchoGate', () => {
  it("mutes a reply's leaked echo while AEC3 re-converges, and only then", () => {
    // 20 dB under the far end: what a -10 dB echo leaves when AEC3 takes off only 10 dB.
    const { muted } = run(() => FAR / 100);
    expect(muted[0]).toBeGreaterThanOrEqual(1000 + DELAY - 100);
    expect(muted.at(-1)).toBeLessThanOrEqual(1000 + DELAY + 3000);
    expect(muted.length).toBeGreaterThan(300);
  });

  it('lets a caller who speaks up at the start of a reply through', () => {
    // As loud as the agent, or 6 dB quieter.
    expect(run(() => FAR).muted).toEqual([]);
    expect(run(() => FAR / 4).muted).toEqual([]);
  });

  it('leaves the rest of a reply alone, and a call in which the agent is silent', () => {
    expect(run(() => FAR / 100, 6000).muted.filter((t) => t > 1000 + DELAY + 3100)).toEqual([]);
    const silent = new ReplyStartEchoGate();
    expect(silent.shouldMute(1000, 1, DELAY)).toBe(false);
  });

  it('re-arms for every reply after a pause in the far end', () => {
    const gate = new ReplyStartEchoGate();
    const mutes = (from: number) => {
      let n = 0;
      for (let t = from; t < from + 5000; t += 10) {
        gate.farPlayed(t, FAR);
        if (gate.shouldMute(t, FAR / 100, DELAY)) n++;
      }
      return n;
    };
    expect(mutes(1000)).toBeGreaterThan(0);
    expect(mutes(6000)).toBe(0); // no silence in between: the same reply
    expect(mutes(12_000)).toBeGreaterThan(0); // after 1 s of silence: a new reply
  });

  it('guards again when the canceller’s reference is moved mid-reply', () => {
    const gate = new ReplyStartEchoGate();
    for (let t = 0; t < 5000; t += 10) gate.farPlayed(t, FAR);
    expect(gate.shouldMute(5000, FAR / 100, DELAY)).toBe(false);
    gate.rearm(5000);
    gate.farPlayed(5000, FAR);
    expect(gate.shouldMute(5010, FAR / 100, DELAY)).toBe(true);
    expect(gate.shouldMute(5020, FAR, DELAY)).toBe(false);
    for (let t = 5010; t <= 8100; t += 10) gate.farPlayed(t, FAR);
    expect(gate.shouldMute(8100, FAR / 100, DELAY)).toBe(false);
  });
});

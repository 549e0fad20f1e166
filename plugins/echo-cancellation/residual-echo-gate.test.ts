import { describe, expect, it } from 'vitest';
import { ResidualEchoGate } from './residual-echo-gate.js';

const FAR = 1e7; // mean square of the agent's speech
const DELAY = 400;

/** The agent speaks from t=1000 to t=5000; returns the times at which the gate mutes `near(t)`, up to `until`. */
function run(near: (t: number) => number, until = 8000) {
  const gate = new ResidualEchoGate();
  const muted: number[] = [];
  for (let t = 1000; t < until; t += 10) {
    if (t < 5000) gate.farPlayed(t, FAR);
    if (gate.shouldMute(t, near(t), DELAY)) muted.push(t);
  }
  return muted;
}

describe('ResidualEchoGate', () => {
  it("mutes the agent's leaked echo for as long as it can be echoing, and only then", () => {
    // 20 dB under the far end: what a -10 dB echo leaves when AEC3 takes off only 10 dB.
    const muted = run(() => FAR / 100);
    expect(muted[0]).toBe(1000);
    expect(muted.length).toBe((5000 + DELAY + 300 - 1000) / 10);
    expect(muted.at(-1)).toBeLessThan(5000 + DELAY + 300);
  });

  it('lets a caller who speaks up over the agent through', () => {
    // As loud as the agent, or 6 dB quieter.
    expect(run(() => FAR)).toEqual([]);
    expect(run(() => FAR / 4)).toEqual([]);
  });

  it('mutes nothing in a call in which the agent is silent, or after its echo has died away', () => {
    expect(new ResidualEchoGate().shouldMute(1000, 1, DELAY)).toBe(false);
    expect(run(() => FAR / 100).filter((t) => t >= 5000 + DELAY + 300)).toEqual([]);
  });

  it('follows the loudest far frame that can still be echoing', () => {
    const gate = new ResidualEchoGate();
    gate.farPlayed(0, FAR);
    gate.farPlayed(500, FAR / 1000); // the reply's last, quiet word
    expect(gate.shouldMute(550, FAR / 100, DELAY)).toBe(true); // the loud one can still echo
    expect(gate.shouldMute(800, FAR / 100, DELAY)).toBe(false); // only the quiet one can now
  });
});

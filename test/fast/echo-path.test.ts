import { describe, expect, it } from 'vitest';
import { EchoPath } from '../../harness/caller/echo-path.js';

describe("the simulated caller's echo path", () => {
  it('mixes what was heard back in, attenuated, once the delay has passed', () => {
    const rate = 1000; // 1 sample per ms keeps the arithmetic readable
    const echo = new EchoPath({ gainDb: -20, delayMs: 30, playoutBufferMs: 0 }, rate);
    const frames: Int16Array[] = [];
    for (let i = 0; i < 6; i++) {
      echo.heard(new Int16Array(10).fill(i === 0 ? 10_000 : 0)); // a 10 ms loud blip, then silence
      const frame = new Int16Array(10);
      echo.mixInto(frame);
      frames.push(frame);
    }
    // The blip comes back 30 ms later (-20 dB = x0.1), and only then.
    expect(frames.map((f) => f[0])).toEqual([0, 0, 0, 1000, 0, 0]);
  });

  it('adds to what the caller says, clipping at full scale', () => {
    const echo = new EchoPath({ gainDb: 0, delayMs: 0, playoutBufferMs: 0 }, 1000);
    echo.heard(new Int16Array([30_000, -30_000, 100]));
    const frame = new Int16Array([10_000, -10_000, 5]);
    echo.mixInto(frame);
    expect([...frame]).toEqual([32_767, -32_768, 105]);
  });

  it('keeps the echo continuous when received audio arrives in bursts the playout buffer absorbs', () => {
    const echo = new EchoPath({ gainDb: 0, delayMs: 20, playoutBufferMs: 30 }, 1000);
    // A ramp 1, 2, 3, ... received in uneven chunks (jitter) while the microphone takes 10 ms a frame.
    const chunks = [30, 0, 20, 0, 10, 20, 0, 10, 0, 30, 10, 0, 10];
    let next = 1;
    const out: number[] = [];
    for (const n of chunks) {
      echo.heard(Int16Array.from({ length: n }, () => next++));
      const frame = new Int16Array(10);
      echo.mixInto(frame);
      out.push(...frame);
    }
    const echoed = out.filter((s) => s !== 0);
    // Every sample comes back once, in order, with no gap inside: a fixed delay, not a warped one.
    expect(echoed).toEqual(Array.from({ length: echoed.length }, (_, i) => i + 1));
    expect(out.indexOf(1)).toBe(20);
    expect(out.slice(out.indexOf(1), out.indexOf(1) + echoed.length).every((s) => s !== 0)).toBe(true);
  });
});

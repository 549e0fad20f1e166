import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // rtc-node logs at debug level unless NODE_ENV is production: every data packet would be printed.
    env: { NODE_ENV: 'production' },
    // Speech engines and the echo canceller work through seconds of audio: generous on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          // In-process, without WebRTC or root, in seconds (`npm run test:fast`).
          name: 'fast',
          include: ['test/fast/**/*.test.ts', 'plugins/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          // Its slowest files mostly wait on real-time audio: two at a time even on 2 cores.
          maxWorkers: 2,
        },
      },
      {
        extends: true,
        test: {
          // The real stack in the network namespace test/run.sh makes; after the fast layer, never beside it.
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          // Each file runs its own livekit-server and workers: one file at a time on 2 cores.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});

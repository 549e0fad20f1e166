import { Gauge, type Registry } from 'prom-client';
import type { WorkerLoad } from '../worker/worker-load.js';

/** The worker's load on /metrics, read at scrape time: what an autoscaler scales a pool on. */
export function registerWorkerLoadGauges(registry: Registry, load: WorkerLoad): void {
  new Gauge({
    name: 'voice_agent_active_calls',
    help: 'Calls the worker holds now',
    registers: [registry],
    collect() {
      this.set(load.snapshot.activeCalls);
    },
  });
  new Gauge({
    name: 'voice_agent_max_calls',
    help: 'Calls the worker may hold (AGENT_MAX_CONCURRENT_CALLS); absent when its limit is machine CPU',
    registers: [registry],
    collect() {
      const max = load.snapshot.maxCalls;
      if (max === undefined) this.reset();
      else this.set(max);
    },
  });
  new Gauge({
    name: 'voice_agent_available',
    help: '1 while the worker is registered with livekit-server and takes calls (0 while starting or draining)',
    registers: [registry],
    collect() {
      this.set(load.snapshot.available ? 1 : 0);
    },
  });
  new Gauge({
    name: 'voice_agent_idle_processes',
    help: 'Job processes started and waiting for a call (a call beyond them waits for a process to start); absent where /proc cannot tell',
    registers: [registry],
    collect() {
      const idle = load.snapshot.idleProcesses;
      if (idle === undefined) this.reset();
      else this.set(idle);
    },
  });
  new Gauge({
    name: 'voice_agent_reported_load',
    help: 'Share of the call limit in use at the last load report to livekit-server (0..1, 1: full), on which it dispatches; absent when the limit is machine CPU',
    registers: [registry],
    collect() {
      const reported = load.snapshot.reportedLoad;
      if (reported === undefined) this.reset();
      else this.set(reported);
    },
  });
}

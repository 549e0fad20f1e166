import type { Region } from './regions.js';

/** Polls of the room, this often. */
export const WATCH_POLL_MS = 250;
/** A caller who has not joined by then never will: the watch ends. */
export const CALLER_JOIN_WINDOW_MS = 120_000;
/**
 * A page joins ~1 s after it got its token: a call whose caller is not in by then stops holding a
 * place in its pool until they join, so requests nobody joins cannot fill the pools.
 */
export const UNJOINED_HOLD_MS = 5000;
/** After a call was moved, how long an agent of a withdrawn dispatch that still arrives is removed. */
export const LATE_AGENT_WINDOW_MS = 15_000;
/** A placed call counts against its pool until the pool's own report includes it (presence renews every second). */
export const PRESENCE_CATCH_UP_MS = 2000;

/** An agent in the room, as the server lists it. */
export interface RoomAgent {
  identity: string;
  joinedAtMs: number;
  region: string | undefined;
}

/** One look at the room: who is in it, when; `participants` undefined when the server did not answer. */
export interface RoomLook {
  now: number;
  participants: number | undefined;
  agents: readonly RoomAgent[];
}

/** What the watch asks of its driver after a look. */
export type WatchAction =
  /** The call counts against `region`'s pool again: its caller joined after its hold lapsed. */
  | { type: 'hold'; region: Region }
  /** The call no longer counts against `region`'s pool after `afterMs` (its report has it, or it never came). */
  | { type: 'release'; region: Region; afterMs: number }
  /** An agent of a withdrawn dispatch arrived after the first one: it leaves the room. */
  | { type: 'remove'; identity: string; region: string | undefined; kept: string | undefined }
  /**
   * No agent within the deadline: dispatch the nearest region with room not yet tried and withdraw
   * `from`'s dispatch; with no such region, `from`'s stays (its agent may yet come).
   */
  | { type: 'move'; from: Region; tried: readonly Region[]; waitedMs: number }
  /** Nothing more to watch. */
  | { type: 'done' };

type Phase =
  /** `held`: the call still counts against its pool (placement holds it; it lapses after UNJOINED_HOLD_MS). */
  | { kind: 'no-caller'; since: number; held: boolean }
  /** `last`: no region is left to move to; the watch waits for this one's agent until the window ends. */
  | { kind: 'no-agent'; callerSince: number; last?: boolean }
  | { kind: 'moving' }
  | { kind: 'kept'; agent: RoomAgent; since: number }
  | { kind: 'done' };

/**
 * A placed call's room until an agent is in it (placement.ts polls the server and carries out the
 * actions): the caller's arrival starts the agent deadline; no agent by then moves the call to the
 * next region; once an agent is in, a withdrawn dispatch's late agent is removed for a while, so a
 * room never holds two. Pure: time and the room come in, actions go out.
 */
export class RoomWatch {
  #phase: Phase;
  #current: Region;
  readonly #tried: Region[];

  constructor(
    home: Region,
    private readonly agentDeadlineMs: number,
    startedAt: number,
  ) {
    this.#current = home;
    this.#tried = [home];
    this.#phase = { kind: 'no-caller', since: startedAt, held: true };
  }

  get done(): boolean {
    return this.#phase.kind === 'done';
  }

  /** The actions one look at the room calls for. */
  step(look: RoomLook): WatchAction[] {
    const phase = this.#phase;
    if (phase.kind === 'done' || phase.kind === 'moving') return [];
    if (phase.kind === 'kept') return this.#removeLate(phase.agent, phase.since, look);
    if (look.agents.length) {
      const first = [...look.agents].sort((a, b) => a.joinedAtMs - b.joinedAtMs)[0]!;
      // Held until the pool's own report has the call (taken again if it had lapsed).
      const rehold: WatchAction[] = phase.kind === 'no-caller' && !phase.held ? [{ type: 'hold', region: this.#current }] : [];
      const release: WatchAction = { type: 'release', region: this.#current, afterMs: PRESENCE_CATCH_UP_MS };
      // No dispatch was withdrawn: no other agent can arrive.
      if (this.#tried.length === 1) return this.#end([...rehold, release]);
      this.#phase = { kind: 'kept', agent: first, since: look.now };
      return [...rehold, release, ...this.#removeLate(first, look.now, look)];
    }
    if (phase.kind === 'no-caller') {
      if (look.participants) {
        this.#phase = { kind: 'no-agent', callerSince: look.now };
        return phase.held ? [] : [{ type: 'hold', region: this.#current }];
      }
      const lapse: WatchAction = { type: 'release', region: this.#current, afterMs: 0 };
      if (look.now - phase.since > CALLER_JOIN_WINDOW_MS) return this.#end(phase.held ? [lapse] : []);
      if (phase.held && look.now - phase.since > UNJOINED_HOLD_MS) {
        this.#phase = { ...phase, held: false };
        return [lapse];
      }
      return [];
    }
    const waitedMs = look.now - phase.callerSince;
    if (phase.last) return waitedMs > CALLER_JOIN_WINDOW_MS ? this.#end([{ type: 'release', region: this.#current, afterMs: 0 }]) : [];
    if (waitedMs < this.agentDeadlineMs) return [];
    this.#phase = { kind: 'moving' };
    return [{ type: 'move', from: this.#current, tried: [...this.#tried], waitedMs }];
  }

  /** The driver moved the call to `next` (dispatched there at `now`), or found no other region with room. */
  moved(next: Region | undefined, now: number): WatchAction[] {
    if (next) {
      this.#tried.push(next);
      this.#current = next;
    }
    this.#phase = { kind: 'no-agent', callerSince: now, last: !next };
    return [];
  }

  #removeLate(kept: RoomAgent, since: number, look: RoomLook): WatchAction[] {
    const late = look.agents.filter((a) => a.identity !== kept.identity && a.region !== kept.region);
    const actions: WatchAction[] = late.map((a) => ({ type: 'remove', identity: a.identity, region: a.region, kept: kept.region }));
    return look.now - since > LATE_AGENT_WINDOW_MS ? this.#end(actions) : actions;
  }

  #end(actions: WatchAction[]): WatchAction[] {
    this.#phase = { kind: 'done' };
    return [...actions, { type: 'done' }];
  }
}

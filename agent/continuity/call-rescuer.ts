import { log } from '@livekit/agents';
import { ParticipantInfo_Kind } from '@livekit/protocol';
import { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import { livekitApiUrl } from '../../contracts/livekit-endpoint.js';
import type { CallRecord, CallStore } from './call-store.js';

/** How often the worker looks for calls whose job died. */
const SCAN_INTERVAL_MS = 1000;
/** How long one worker has to bring an agent back before another may try (a job takes ~2 s to join). */
const RESCUE_CLAIM_MS = 15_000;

export interface LivekitApi {
  url: string;
  apiKey: string;
  apiSecret: string;
}

/**
 * The worker's side of a call that outlives its job. Self-hosted livekit-server does not learn
 * that a job failed and does not dispatch the agent again (upstream livekit/livekit#4894), so every
 * worker watches the calls its agent holds: when a call's lease lapses (its job process or its
 * worker died) and a caller is still in the room, one worker removes the dead agent from the room
 * and dispatches a new one, which picks the conversation up from the store. It can go when
 * livekit-server re-dispatches failed jobs itself.
 *
 * In a regional deployment (`worker.region` set) a pool also takes the calls of another region's
 * pool that has no live worker left (its region went down), so those calls do not wait for it.
 */
export class CallRescuer {
  readonly #logger = log().child({ component: 'call-rescuer' });
  readonly #rooms: RoomServiceClient;
  readonly #dispatch: AgentDispatchClient;
  #timer?: NodeJS.Timeout;
  #scanning = false;
  #failing = false;

  constructor(
    private readonly store: CallStore,
    private readonly agentName: string,
    /** This pool's region, when it is one of several (regional pools may rescue each other's calls). */
    private readonly region: string | undefined,
    livekit: LivekitApi,
  ) {
    const host = livekitApiUrl(livekit.url);
    this.#rooms = new RoomServiceClient(host, livekit.apiKey, livekit.apiSecret);
    this.#dispatch = new AgentDispatchClient(host, livekit.apiKey, livekit.apiSecret);
  }

  start(): void {
    this.#timer = setInterval(() => void this.#scan(), SCAN_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #scan(): Promise<void> {
    if (this.#scanning) return;
    this.#scanning = true;
    try {
      const pools = this.region ? await this.store.poolLoads() : undefined;
      const takes = (call: CallRecord) =>
        call.agentName === this.agentName || (pools !== undefined && call.region !== undefined && !pools.get(call.agentName)?.workers);
      for (const call of await this.store.orphaned(takes)) {
        if (!(await this.store.claimRescue(call.room, RESCUE_CLAIM_MS))) continue;
        await this.#rescue(call);
      }
      if (this.#failing) this.#logger.info('calls checked for a lost agent again');
      this.#failing = false;
    } catch (error) {
      // Once per outage of the store, not once a second.
      if (!this.#failing) this.#logger.warn({ error: String(error) }, 'calls not checked for a lost agent until the call store is back');
      this.#failing = true;
    } finally {
      this.#scanning = false;
    }
  }

  async #rescue({ room, agentIdentity: lostAgent, agentName, region }: CallRecord): Promise<void> {
    const participants = await this.#rooms.listParticipants(room).catch(() => []);
    if (!participants.some((p) => p.kind !== ParticipantInfo_Kind.AGENT)) {
      this.#logger.info({ room }, 'call lost its agent after the caller left: forgotten');
      return this.store.forget(room);
    }
    // The dead agent stays in the room until livekit-server times it out (~20 s): the caller would
    // see two agents, and the new one would take it for a participant.
    if (lostAgent) await this.#rooms.removeParticipant(room, lostAgent).catch(() => undefined);
    await this.#dispatch.createDispatch(room, this.agentName);
    if (agentName === this.agentName) this.#logger.warn({ room, lostAgent }, 'call lost its agent: a new one dispatched');
    else
      this.#logger.warn(
        { room, lostAgent, lostRegion: region, region: this.region },
        "call lost its agent and its region's pool: taken by this region",
      );
  }
}

import { log, voice } from '@livekit/agents';
import { type CallRecord, CallStore, type HistoryEntry, LEASE_RENEW_MS } from './call-store.js';

/** How long a call's start waits for the call store. */
const JOURNAL_OPEN_TIMEOUT_MS = 2000;

/**
 * The job's side of a call that outlives its job: holds the call's lease while the job lives, and
 * writes each line of the conversation to the store as the session adds it, so that the agent the
 * rescuer sends if this job dies carries on from there.
 */
export class CallJournal {
  readonly #logger = log().child({ component: 'call-journal' });
  readonly #renewal: NodeJS.Timeout;
  #closed = false;

  private constructor(
    private readonly store: CallStore,
    private readonly call: CallRecord,
    /** The conversation before this job took the call: empty for a new call. */
    readonly earlier: HistoryEntry[],
  ) {
    this.#renewal = setInterval(() => {
      store.renewLease(call).catch((error: unknown) => this.#logger.warn({ error: String(error) }, 'call lease not renewed'));
    }, LEASE_RENEW_MS);
  }

  /**
   * Takes the call (a new one, or one whose job died) on the store at `redisUrl` and reads what was
   * said on it so far; undefined, logged, when the store cannot be reached: the call goes on, only
   * it would not outlive this job.
   */
  static async open(redisUrl: string, call: CallRecord): Promise<CallJournal | undefined> {
    const logger = log().child({ component: 'call-journal' });
    const store = CallStore.connect(redisUrl, (error) => logger.warn({ error: error.message }, 'call store unreachable'));
    try {
      await store.ready(JOURNAL_OPEN_TIMEOUT_MS);
      const earlier = await store.history(call.room);
      await store.hold(call);
      return new CallJournal(store, call, earlier);
    } catch (error) {
      logger.warn({ error: String(error) }, 'call store unreachable: this call will not outlive its job');
      await store.close();
      return undefined;
    }
  }

  record(session: voice.AgentSession): void {
    session.on(voice.AgentSessionEventTypes.ConversationItemAdded, ({ item }) => {
      if (item.type !== 'message' || (item.role !== 'user' && item.role !== 'assistant')) return;
      const text = item.textContent;
      if (!text) return;
      this.store
        .append(this.call.room, { role: item.role, text })
        .catch((error: unknown) => this.#logger.warn({ error: String(error) }, 'conversation line not kept'));
    });
  }

  /** The call is over (the caller left, or the agent ended it): it is forgotten. */
  async end(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#renewal);
    await this.store.end(this.call).catch((error: unknown) => this.#logger.warn({ error: String(error) }, 'ended call not forgotten'));
    await this.store.close();
  }

  /**
   * This job lets go of a call that is not over (its session failed, its room was lost, the worker
   * stopped waiting for it): the lease lapses, and if the caller is still there an agent takes over.
   */
  async release(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#renewal);
    await this.store.close();
  }
}

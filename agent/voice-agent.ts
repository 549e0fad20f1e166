import { defineAgent, type JobContext, type JobProcess, log, type VAD, voice } from '@livekit/agents';
import { redactNumber } from '../contracts/phone-number.js';
import { REGION_ATTRIBUTE } from '../contracts/region-attribute.js';
import { WORKER_LOG } from '../contracts/worker-log.js';
import { loadConfig } from './config/load.js';
import { CallJournal } from './continuity/call-journal.js';
import { repeatRepliesLostToReconnection } from './continuity/lost-replies.js';
import { redactOutput } from './logging/redacted-output.js';
import { CallCostMeter } from './metrics/call-cost.js';
import { turnRecordSink } from './metrics/turn-record-channel.js';
import { turnRecordPublisher } from './metrics/turn-record-publisher.js';
import { buildLlm, buildStt, buildTts, buildVad, turnEndScorers } from './providers/build.js';
import { Conversation } from './session/conversation.js';
import { echoCancellationFor } from './session/echo-cancellation.js';
import { KeypadInput } from './session/phone/keypad-input.js';
import { callAnswered, phoneCallerOf } from './session/phone/phone-call.js';
import { phoneTools } from './session/phone/phone-tools.js';
import { allowConcurrentRoomRequests } from './session/room-requests.js';

/** Session close reasons that end the call. */
const CALL_ENDED = new Set<string>([voice.CloseReason.PARTICIPANT_DISCONNECTED, voice.CloseReason.USER_INITIATED]);

interface ProcessData {
  vad?: VAD;
}

/**
 * One job = one call. Runs in a job process forked by the worker (agent/main.ts); the configuration
 * is read again here from the same environment, and was already validated by the worker at start.
 */
export default defineAgent<ProcessData>({
  // Idle job processes load the VAD before a call arrives, so the first turn does not pay for it.
  prewarm: async (proc: JobProcess<ProcessData>) => {
    const cfg = loadConfig();
    redactOutput(cfg.log);
    proc.userData.vad = await buildVad(cfg);
    // From the fork to ready for a call: what a call that finds no warm process waits, and what an
    // operator compares with the framework's initialisation timeout.
    log().info({ pid: process.pid, warmMs: Math.round(performance.now()) }, WORKER_LOG.jobProcessWarmed);
  },
  entry: async (ctx: JobContext<ProcessData>) => {
    const cfg = loadConfig();
    redactOutput(cfg.log);
    const vad = ctx.proc.userData.vad ?? (await buildVad(cfg));

    await ctx.connect();
    allowConcurrentRoomRequests(ctx.room);
    // Callers, tests and the placement service can tell which region's pool answered.
    if (cfg.worker.region) await ctx.room.localParticipant!.setAttributes({ [REGION_ATTRIBUTE]: cfg.worker.region });
    // Greet only once somebody is there to hear it; a caller on the phone shapes the session.
    const caller = await ctx.waitForParticipant().catch((e: unknown) => {
      if (ctx.room.isConnected) throw e;
      return undefined; // the room was closed first, e.g. an outbound call that could not be placed
    });
    if (!caller) return log().info('room closed before a caller joined');
    const phoneCaller = phoneCallerOf(caller);
    if (phoneCaller) {
      log().info(
        { caller: redactNumber(phoneCaller.number), dialled: redactNumber(phoneCaller.dialled), callId: phoneCaller.callId },
        WORKER_LOG.phoneCall,
      );
      // A call the agent placed: speak first once the callee picks up, not to the ringing.
      if (!(await callAnswered(ctx.room, caller))) {
        log().info('phone call not answered');
        return ctx.shutdown('phone call not answered');
      }
    }
    const journal = cfg.redis.url
      ? await CallJournal.open(cfg.redis.url, {
          room: ctx.room.name!,
          agentName: cfg.worker.agentName,
          agentIdentity: ctx.room.localParticipant!.identity,
          region: cfg.worker.region,
        })
      : undefined;
    log().info({ room: ctx.room.name, region: cfg.worker.region, takenOver: Boolean(journal?.earlier.length) }, WORKER_LOG.callStarted);
    const cost = new CallCostMeter();
    ctx.addShutdownCallback(async () => void cost.stop());
    const transferTo = cfg.phone.transferTo;
    // Each turn's latency: to the worker's /metrics, and to the room for the caller's page.
    const toWorker = turnRecordSink();
    const toRoom = turnRecordPublisher(ctx.room);
    const conversation = new Conversation(
      cfg,
      {
        vad,
        turnEnd: cfg.turn.detector === 'combined' ? turnEndScorers() : undefined,
        stt: (onTranscriptionLost) => buildStt(cfg, onTranscriptionLost, { phone: phoneCaller !== undefined }),
        llm: buildLlm(cfg),
        tts: buildTts(cfg),
      },
      {
        onTurn: (record) => {
          toWorker?.(record);
          toRoom(record);
        },
        phoneCaller,
        tools: phoneCaller
          ? phoneTools(transferTo ? { livekit: cfg.livekit, room: ctx.room.name!, callerIdentity: caller.identity, transferTo } : undefined)
          : undefined,
        earlier: journal?.earlier,
      },
    );
    journal?.record(conversation.session);
    repeatRepliesLostToReconnection(ctx.room, conversation.session, cfg.agent.resumption);
    // The job is the call: when the session closes (the caller hung up, the agent ended the call) the
    // job ends with it, and the worker is free at once. agents-js 1.8.1 leaves the job connected until
    // livekit-server closes the room (its departure timeout), upstream agents-js #927 (AJS-265 in
    // AgentSession.start); this can go when the framework ends the job with its session.
    conversation.session.on(voice.AgentSessionEventTypes.Close, (ev) => {
      // Only a caller who left or a call the agent ended is over; any other close leaves the call to
      // be taken over (agent/continuity), as a job that dies does.
      if (CALL_ENDED.has(ev.reason)) void journal?.end();
      ctx.shutdown(`session closed: ${ev.reason}`);
    });
    if (journal) ctx.addShutdownCallback(() => journal.release());
    if (phoneCaller) {
      const keypad = new KeypadInput(ctx.room, caller, conversation.session, cfg.phone.keypadPauseMs);
      ctx.addShutdownCallback(async () => keypad.close());
    }
    await conversation.start({ room: ctx.room, echoCancellation: echoCancellationFor(cfg.audio.echoCancellation, caller) });
  },
});

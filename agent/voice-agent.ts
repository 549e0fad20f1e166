import { type JobContext, type JobProcess, type VAD, defineAgent } from '@livekit/agents';
import { loadConfig } from './config/load.js';
import { turnRecordSink } from './metrics/turn-record-channel.js';
import { buildLlm, buildStt, buildTts, buildVad } from './providers/build.js';
import { Conversation } from './session/conversation.js';
import { echoCancellationFor } from './session/echo-cancellation.js';

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
    proc.userData.vad = await buildVad(loadConfig());
  },
  entry: async (ctx: JobContext<ProcessData>) => {
    const cfg = loadConfig();
    const vad = ctx.proc.userData.vad ?? (await buildVad(cfg));

    await ctx.connect();
    const conversation = new Conversation(
      cfg,
      { vad, stt: (onTranscriptionLost) => buildStt(cfg, onTranscriptionLost), llm: buildLlm(cfg), tts: buildTts(cfg) },
      turnRecordSink(),
    );
    // Greet only once somebody is there to hear it.
    const caller = await ctx.waitForParticipant();
    await conversation.start({ room: ctx.room, echoCancellation: echoCancellationFor(cfg.audio.echoCancellation, caller) });
  },
});

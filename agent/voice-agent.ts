import { type JobContext, type JobProcess, type VAD, defineAgent, voice } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { loadConfig } from './config/load.js';
import type { AgentConfig } from './config/schema.js';
import { logTurnLatencies } from './metrics/turn-latency-logging.js';
import { turnRecordSink } from './metrics/turn-record-channel.js';
import { buildLlm, buildStt, buildTts } from './providers/build.js';
import { CallEchoCancellation } from './session/echo-cancellation.js';
import { ListeningAgent } from './session/listening-agent.js';
import { ProviderFailureApology } from './session/provider-failure-apology.js';
import { sessionOptions } from './session/session-options.js';

const loadVad = (cfg: AgentConfig) => silero.VAD.load({ minSilenceDuration: cfg.turn.vadMinSilenceMs });

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
    proc.userData.vad = await loadVad(loadConfig());
  },
  entry: async (ctx: JobContext<ProcessData>) => {
    const cfg = loadConfig();
    const vad = ctx.proc.userData.vad ?? (await loadVad(cfg));

    await ctx.connect();
    const apology = new ProviderFailureApology(cfg.agent.apology);
    const session = new voice.AgentSession({
      vad,
      stt: buildStt(cfg, () => apology.transcriptionLost()),
      llm: buildLlm(cfg),
      tts: buildTts(cfg),
      ...sessionOptions(cfg),
    });
    apology.attach(session);
    logTurnLatencies(session, turnRecordSink());

    // Greet only once somebody is there to hear it.
    const caller = await ctx.waitForParticipant();
    const echo = CallEchoCancellation.forParticipant(cfg.audio.echoCancellation, caller);
    await session.start({
      agent: new ListeningAgent(
        { instructions: cfg.agent.instructions },
        { preflightTranscripts: cfg.stt.preflightTranscripts, ignoreBackchannels: cfg.turn.ignoreBackchannels },
      ),
      room: ctx.room,
      inputOptions: echo?.inputOptions,
    });
    echo?.tapPlayout(session);
    session.say(cfg.agent.greeting);
  },
});

import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import { FliteSynthesizer } from '../speech/flite.js';
import { PocketsphinxRecognizer } from '../speech/pocketsphinx.js';
import { recognizerPrimer } from '../speech/recognizer-primer.js';
import { AGENT_VOICE, CALLER_VOICE } from '../speech/voices.js';
import { LOCAL_TELEPHONY_STT_MODEL } from '../../agent/providers/build.js';
import { handleCartesiaBytes, handleCartesiaSocket } from './cartesia-tts.js';
import { HttpError, readJson, sendJson, sendOpenAIError } from './http-util.js';
import { handleSpeech, handleTranscription } from './openai-audio.js';
import { handleChatCompletions } from './openai-chat.js';
import { handleRealtimeTranscription } from './openai-realtime-stt.js';
import { RequestLog } from './request-log.js';
import { ScriptedResponder, loadResponderScript } from './responder.js';
import {
  LATENCY_PROFILES,
  LATENCY_PROFILE_NAMES,
  type LatencyProfile,
  type LatencyProfileName,
  PROVIDER_STAGES,
  type ProviderStage,
  StageBehaviour,
  faultRequestSchema,
  latencySchema,
} from './stage-behaviour.js';

export const DEFAULT_RESPONDER_SCRIPT = fileURLToPath(new URL('./responses.yaml', import.meta.url));

export interface LocalProvidersOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  responderScript?: string;
  latency?: LatencyProfile | LatencyProfileName;
  /** flite voice of the agent (see voices.ts). */
  voice?: string;
}

export interface RunningLocalProviders {
  /** Base URL: OpenAI routes live under `${url}/v1`, Cartesia's at the root. */
  url: string;
  behaviour: StageBehaviour;
  log: RequestLog;
  close(): Promise<void>;
}

const latencyUpdateSchema = z.union([z.object({ profile: z.enum(LATENCY_PROFILE_NAMES) }).strict(), latencySchema.partial()]);

/**
 * The embedded local providers: one HTTP server speaking OpenAI's chat, transcription (HTTP and realtime WebSocket) and speech
 * APIs and Cartesia's TTS WebSocket, backed by offline engines (a scripted responder, pocketsphinx,
 * flite). `/_control/*` lets tests and benchmarks shape latency, inject faults and read what was asked.
 */
export async function startLocalProviders(opts: LocalProvidersOptions = {}): Promise<RunningLocalProviders> {
  const responder = new ScriptedResponder(loadResponderScript(opts.responderScript ?? DEFAULT_RESPONDER_SCRIPT));
  const latency = typeof opts.latency === 'string' ? LATENCY_PROFILES[opts.latency] : opts.latency;
  const behaviour = new StageBehaviour(latency);
  const log = new RequestLog();
  const synthesizer = new FliteSynthesizer({ voice: opts.voice ?? AGENT_VOICE });
  // Every decoder hears one sentence first (see PocketsphinxOptions.primer), in a caller-like voice,
  // over the phone band for the telephony model.
  const [primer, phonePrimer] = await Promise.all([recognizerPrimer(CALLER_VOICE, 'wide'), recognizerPrimer(CALLER_VOICE, 'phone')]);
  const recognizer = await PocketsphinxRecognizer.start({ primer });

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const key = `${req.method} ${path}`;
    switch (key) {
      case 'POST /v1/chat/completions':
        return handleChatCompletions(req, res, { responder, behaviour, log });
      case 'POST /v1/audio/transcriptions':
        return handleTranscription(req, res, { recognizer, behaviour, log });
      case 'POST /v1/audio/speech':
        return handleSpeech(req, res, { synthesizer, behaviour, log });
      case 'POST /tts/bytes':
        return handleCartesiaBytes(req, res, { synthesizer, behaviour, log });
      case 'GET /healthz':
        return sendJson(res, 200, { ok: true });
      case 'GET /_control/requests': {
        const stage = new URL(req.url ?? '/', 'http://local').searchParams.get('stage');
        if (stage && !(PROVIDER_STAGES as readonly string[]).includes(stage)) throw new HttpError(400, `unknown stage ${stage}`);
        return sendJson(res, 200, log.list((stage ?? undefined) as ProviderStage | undefined));
      }
      case 'POST /_control/faults': {
        const fault = faultRequestSchema.safeParse(await readJson(req));
        if (!fault.success) throw new HttpError(400, `invalid fault: ${fault.error.issues[0]?.message}`);
        behaviour.injectFault(fault.data.stage, fault.data.kind, fault.data.count);
        return sendJson(res, 200, behaviour.pendingFaults());
      }
      case 'PUT /_control/latency': {
        const update = latencyUpdateSchema.safeParse(await readJson(req));
        if (!update.success) throw new HttpError(400, `invalid latency: ${update.error.issues[0]?.message}`);
        const d = update.data;
        behaviour.latency = 'profile' in d ? { ...LATENCY_PROFILES[d.profile] } : { ...behaviour.latency, ...d };
        return sendJson(res, 200, behaviour.latency);
      }
      case 'POST /_control/reset':
        behaviour.reset(latency);
        log.clear();
        return sendJson(res, 200, { ok: true });
      default:
        throw new HttpError(404, `no route for ${key}`);
    }
  };

  const server: Server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (status >= 500) console.error(`local-providers: ${req.method} ${req.url} failed:`, e);
      sendOpenAIError(res, status, (e as Error).message);
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    if (path === '/tts/websocket') {
      wss.handleUpgrade(req, socket, head, (ws) => handleCartesiaSocket(ws, { synthesizer, behaviour, log }));
    } else if (path === '/v1/realtime') {
      // The OpenAI plugin names the model on the URL for servers other than OpenAI's.
      const telephony = new URL(req.url ?? '/', 'http://local').searchParams.get('model') === LOCAL_TELEPHONY_STT_MODEL;
      wss.handleUpgrade(req, socket, head, (ws) => {
        // One decoder per connection, loading while the call sets up: an utterance holds it until its final.
        const streamingRecognizer = PocketsphinxRecognizer.startInBackground({ primer: telephony ? phonePrimer : primer });
        handleRealtimeTranscription(ws, { recognizer: streamingRecognizer, behaviour, log }, () => void streamingRecognizer.close());
      });
    } else {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${address.port}`,
    behaviour,
    log,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await recognizer.close();
    },
  };
}

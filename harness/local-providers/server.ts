import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { LOCAL_TELEPHONY_STT_MODEL } from '../../contracts/local-providers.js';
import { CachedSynthesizer } from '../speech/cached-speech.js';
import { FliteSynthesizer, type SpeechSynthesizer } from '../speech/flite.js';
import { KnownSpeechRecognizer, type KnownUtterance } from '../speech/known-speech.js';
import { PocketsphinxRecognizer, type SpeechRecognizer } from '../speech/pocketsphinx.js';
import { recognizerPrimer } from '../speech/recognizer-primer.js';
import { AGENT_VOICE, CALLER_VOICE } from '../speech/voices.js';
import { handleCartesiaBytes, handleCartesiaSocket } from './cartesia-tts.js';
import { checkControlAccess } from './control-access.js';
import { HttpError, readJson, refuseUpgrade, requestUrl, sendJson, sendOpenAIError } from './http-util.js';
import { type ConcurrencyLimits, DEFAULT_CONCURRENCY_LIMITS, MAX_SOCKET_MESSAGE_BYTES } from './limits.js';
import { handleSpeech, handleTranscription } from './openai-audio.js';
import { handleChatCompletions } from './openai-chat.js';
import { handleRealtimeTranscription, REALTIME_SAMPLE_RATE } from './openai-realtime-stt.js';
import { RequestLog } from './request-log.js';
import { loadResponderScript, ScriptedResponder } from './responder.js';
import {
  faultRequestSchema,
  LATENCY_PROFILE_NAMES,
  LATENCY_PROFILES,
  type LatencyProfile,
  type LatencyProfileName,
  latencySchema,
  PROVIDER_STAGES,
  type ProviderStage,
  StageBehaviour,
} from './stage-behaviour.js';

export const DEFAULT_RESPONDER_SCRIPT = fileURLToPath(new URL('./responses.yaml', import.meta.url));
const DEFAULT_HOST = '127.0.0.1';

export interface LocalProvidersOptions {
  /** Address to listen on; `/_control/*` also answers requests naming it as Host. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  responderScript?: string;
  latency?: LatencyProfile | LatencyProfileName;
  /** flite voice of the agent (see voices.ts). */
  voice?: string;
  /** Defaults: DEFAULT_CONCURRENCY_LIMITS. */
  limits?: Partial<ConcurrencyLimits>;
  /**
   * Engines that cost next to nothing, for load benchmarks, where the agents' cost is measured and
   * the providers share its machine: speech is transcribed by naming which of these sentences it
   * is, and each text is synthesized once. Unset: pocketsphinx and flite for every request.
   */
  loadEngines?: { knownSpeech: readonly KnownUtterance[] };
}

export interface RunningLocalProviders {
  /** Base URL: OpenAI routes live under `${url}/v1`, Cartesia's at the root. */
  url: string;
  behaviour: StageBehaviour;
  log: RequestLog;
  close(): Promise<void>;
}

/**
 * The recognizer of whole uploads, and one for each realtime connection: pocketsphinx decoders
 * (every one hears a sentence first, see PocketsphinxOptions.primer, in a caller-like voice, over
 * the phone band for the telephony model), or one shared recognizer of known sentences.
 */
async function recognizers(
  knownSpeech?: readonly KnownUtterance[],
): Promise<{ recognizer: SpeechRecognizer; streamingRecognizer: (telephony: boolean) => SpeechRecognizer }> {
  if (knownSpeech) {
    const known = new KnownSpeechRecognizer(knownSpeech, [REALTIME_SAMPLE_RATE]);
    return { recognizer: known, streamingRecognizer: () => known };
  }
  const [primer, phonePrimer] = await Promise.all([recognizerPrimer(CALLER_VOICE, 'wide'), recognizerPrimer(CALLER_VOICE, 'phone')]);
  return {
    recognizer: await PocketsphinxRecognizer.start({ primer }),
    // One decoder per connection, loading while the call sets up: an utterance holds it until its final.
    streamingRecognizer: (telephony) => PocketsphinxRecognizer.startInBackground({ primer: telephony ? phonePrimer : primer }),
  };
}

const latencyUpdateSchema = z.union([z.object({ profile: z.enum(LATENCY_PROFILE_NAMES) }).strict(), latencySchema.partial()]);

/**
 * The local providers: one HTTP server speaking OpenAI's chat, transcription (HTTP and realtime WebSocket) and speech
 * APIs and Cartesia's TTS WebSocket, backed by offline engines (a scripted responder, pocketsphinx,
 * flite). `/_control/*` lets tests and benchmarks shape latency, inject faults and read what was asked.
 */
export async function startLocalProviders(opts: LocalProvidersOptions = {}): Promise<RunningLocalProviders> {
  const responder = new ScriptedResponder(loadResponderScript(opts.responderScript ?? DEFAULT_RESPONDER_SCRIPT));
  const latency = typeof opts.latency === 'string' ? LATENCY_PROFILES[opts.latency] : opts.latency;
  const behaviour = new StageBehaviour(latency);
  const log = new RequestLog();
  const host = opts.host ?? DEFAULT_HOST;
  const limits: ConcurrencyLimits = { ...DEFAULT_CONCURRENCY_LIMITS, ...opts.limits };
  const flite = new FliteSynthesizer({ voice: opts.voice ?? AGENT_VOICE });
  const synthesizer: SpeechSynthesizer = opts.loadEngines ? new CachedSynthesizer(flite) : flite;
  const { recognizer, streamingRecognizer } = await recognizers(opts.loadEngines?.knownSpeech);

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestUrl(req);
    if (url.pathname.startsWith('/_control/')) checkControlAccess(req, host);
    const key = `${req.method} ${url.pathname}`;
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
        const stage = url.searchParams.get('stage');
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
  let realtimeConnections = 0;
  /** What serves the WebSocket asked for, once upgraded; refused (thrown HttpError) before it is. */
  const upgradeRoute = (req: IncomingMessage): ((ws: WebSocket) => void) => {
    const url = requestUrl(req);
    switch (url.pathname) {
      case '/tts/websocket':
        return (ws) => handleCartesiaSocket(ws, { synthesizer, behaviour, log }, limits);
      case '/v1/realtime': {
        if (realtimeConnections >= limits.realtimeConnections) {
          throw new HttpError(503, `at most ${limits.realtimeConnections} realtime transcription connections at once: close one first`);
        }
        // The OpenAI plugin names the model on the URL for servers other than OpenAI's.
        const telephony = url.searchParams.get('model') === LOCAL_TELEPHONY_STT_MODEL;
        return (ws) => {
          realtimeConnections++;
          const connectionRecognizer = streamingRecognizer(telephony);
          handleRealtimeTranscription(ws, { recognizer: connectionRecognizer, behaviour, log }, () => {
            // Nothing the decoder would still decode is wanted: stopped at once, and counted until it has
            // exited, so that a client opening and closing connections in a loop cannot pile decoders up.
            void connectionRecognizer.close(0).finally(() => realtimeConnections--);
          });
        };
      }
      default:
        throw new HttpError(404, `no WebSocket route for ${url.pathname}`);
    }
  };
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SOCKET_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    // Node hands the socket over without its own error handler: a client's reset would end the process.
    socket.on('error', () => socket.destroy());
    let serve: (ws: WebSocket) => void;
    try {
      serve = upgradeRoute(req);
    } catch (e) {
      if (!(e instanceof HttpError)) console.error(`local-providers: upgrade to ${req.url} failed:`, e);
      return refuseUpgrade(socket, e instanceof HttpError ? e.status : 500, (e as Error).message);
    }
    // Called back at once (there is no verifyClient): no other upgrade can pass the connection count meanwhile.
    wss.handleUpgrade(req, socket, head, serve);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
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

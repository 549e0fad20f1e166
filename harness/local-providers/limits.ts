/**
 * What one client may ask of the local providers. Each limit bounds a cost the request itself would
 * set: processes started, memory held, event-loop time spent. Past one, the request is refused with
 * a message naming the limit (a WebSocket message too big is refused by closing with 1009), and
 * nothing already running is touched.
 */

/** A JSON request body (chat, speech, Cartesia's bytes, control). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/** An audio upload (`/v1/audio/transcriptions`): OpenAI's own limit. */
export const MAX_AUDIO_BODY_BYTES = 25 * 1024 * 1024;

/** One WebSocket message; OpenAI's realtime API takes up to 15 MiB of audio in one append. */
export const MAX_SOCKET_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * The WAV uploads transcribed. Resampling costs time in proportion to the ratio of the rates, which
 * the header sets: outside telephone to studio rates it is no longer speech, and can stall the server.
 */
export const WAV_UPLOAD_LIMITS = {
  minSampleRate: 8000,
  maxSampleRate: 48_000,
  maxChannels: 2,
  maxSeconds: 5 * 60,
} as const;

/** Faults armed by one `POST /_control/faults`: each is kept in memory until a request hits it. */
export const MAX_FAULT_COUNT = 1000;

/** Limits on what runs at once; options, so that tests can reach them cheaply. */
export interface ConcurrencyLimits {
  /** Realtime transcription connections: each has its own recognizer process (~90 MB), counted until it has exited. */
  realtimeConnections: number;
  /** TTS contexts being spoken on one Cartesia connection: each runs flite. */
  ttsContextsPerConnection: number;
}

export const DEFAULT_CONCURRENCY_LIMITS: ConcurrencyLimits = {
  realtimeConnections: 16,
  ttsContextsPerConnection: 8,
};

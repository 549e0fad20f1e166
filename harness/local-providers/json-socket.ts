import type { RawData, WebSocket } from 'ws';
import type { z } from 'zod';

/** Close code for a failure of the server while handling a message (RFC 6455, 7.4.1). */
const INTERNAL_ERROR = 1011;

export interface JsonSocketHandlers<T> {
  /** A message that passed the schema. */
  message(message: T): void;
  /**
   * A message that did not; the connection stays open. `reason` says why, `json` is the message
   * parsed, when it was JSON (a protocol may echo an id from it).
   */
  invalid(reason: string, json: unknown): void;
  close(): void;
}

/**
 * The input guard of the WebSocket protocols served here: every message is a JSON text frame, checked
 * against the protocol's schema before any handler sees it.
 */
export function serveJsonSocket<S extends z.ZodTypeAny>(socket: WebSocket, schema: S, handlers: JsonSocketHandlers<z.output<S>>): void {
  // ws reports a client's breach of the WebSocket protocol (a text frame that is not UTF-8, a message
  // over maxPayload) here, having closed the connection with the code that says so (1007, 1009).
  // Unheard, the error would end the process.
  socket.on('error', () => undefined);
  socket.on('message', (data: RawData, isBinary: boolean) => {
    const received = parseMessage(data, isBinary, schema);
    try {
      if (received.success) handlers.message(received.data);
      else handlers.invalid(received.reason, received.json);
    } catch (e) {
      // A bug here must cost this connection, not every other one.
      console.error('local-providers: a WebSocket message handler failed:', e);
      socket.close(INTERNAL_ERROR, 'internal error');
    }
  });
  socket.on('close', () => handlers.close());
}

type Received<T> = { success: true; data: T } | { success: false; reason: string; json?: unknown };

function parseMessage<S extends z.ZodTypeAny>(data: RawData, isBinary: boolean, schema: S): Received<z.output<S>> {
  if (isBinary) return { success: false, reason: 'expected a JSON text frame, got a binary one' };
  let json: unknown;
  try {
    // A text frame: ws has checked that it is UTF-8.
    json = JSON.parse(data.toString());
  } catch {
    return { success: false, reason: 'message is not valid JSON' };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { success: true, data: parsed.data as z.output<S> };
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return { success: false, reason: `invalid message: ${where}${issue?.message}`, json };
}

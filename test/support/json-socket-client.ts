import WebSocket from 'ws';

export type Message = Record<string, unknown> & { type?: unknown };

/** A WebSocket client that keeps every JSON message it receives and reads them in order. */
export class SocketClient {
  readonly #received: Message[] = [];
  #read = 0;
  #wake?: () => void;
  readonly #closed: Promise<number>;

  private constructor(
    readonly ws: WebSocket,
    private readonly timeoutMs: number,
    openClients: Set<SocketClient>,
  ) {
    ws.on('message', (data) => {
      this.#received.push(JSON.parse(data.toString()) as Message);
      this.#wake?.();
    });
    this.#closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    openClients.add(this);
    void this.#closed.then(() => openClients.delete(this));
  }

  /** Connects to `url`; the client stays in `openClients` until it is closed, for a test to close what a failure left open. */
  static open(url: string, timeoutMs: number, openClients: Set<SocketClient>): Promise<SocketClient> {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new SocketClient(ws, timeoutMs, openClients)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Sends `data` as a text frame whatever its bytes: ws does not check what it sends. */
  sendText(data: string | Buffer): void {
    this.ws.send(data, { binary: false });
  }

  /** The messages received since the last call, up to and including the first that `match`es. */
  async until(match: (m: Message) => boolean, what: string, timeoutMs = this.timeoutMs): Promise<Message[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.#received.findIndex((m, i) => i >= this.#read && match(m));
      if (at >= 0) {
        const seen = this.#received.slice(this.#read, at + 1);
        this.#read = at + 1;
        return seen;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} in ${timeoutMs} ms; got ${JSON.stringify(this.#received.slice(this.#read))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** The code the connection was closed with, once it is. */
  closeCode(): Promise<number> {
    return Promise.race([
      this.#closed,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`still open after ${this.timeoutMs} ms`)), this.timeoutMs).unref(),
      ),
    ]);
  }

  async close(): Promise<void> {
    this.ws.close();
    await this.closeCode();
  }
}

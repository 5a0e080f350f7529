/**
 * A client for the QEMU guest agent (qemu-ga) on the host end of its virtio-serial port: a unix
 * socket chardev QEMU serves for the VM. The protocol is JSON, one reply per command, but the
 * channel has no greeting and may hold replies a previous client never read (a client that timed
 * out, a guest that was saved mid-reply), so every connection starts with `guest-sync-delimited`:
 * the client sends 0xFF (which resets the agent's JSON parser) and a sync with a fresh id, skips
 * everything up to the agent's 0xFF sentinel, and is in step once the sync's own id comes back.
 *
 * One command at a time: the agent answers in order and carries no ids, so a second command sent
 * before the first is answered could not be told apart. After a command times out the stream is
 * out of step, so the client closes; the next connection syncs again.
 * @module
 */
import { connect, type Socket } from 'node:net';
import { HvkubeError } from '../../../domain/errors.js';

export type GaValue = null | boolean | number | string | GaValue[] | { [key: string]: GaValue };
export type GaObject = { [key: string]: GaValue };

/** An error reply from the agent (`{"error": {"class", "desc"}}`). */
export class GaError extends Error {
  override readonly name = 'GaError';
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`guest agent ${command} failed: ${errorClass}: ${desc}`);
  }
}

export interface GaConnectOptions {
  /**
   * How long the agent may take to answer the initial sync. A guest without qemu-ga (or whose
   * agent has not started yet) never answers, so this is how long "no agent" takes to find out.
   * Default is 2 000 ms.
   */
  syncTimeoutMs?: number;
  /** Default time-out of each command. Default is 30 000 ms. */
  commandTimeoutMs?: number;
  /** Called with each command's round-trip time, for metrics. */
  onCall?: (command: string, ms: number) => void;
}

interface Pending {
  command: string;
  started: number;
  resolve: (value: GaValue) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const SENTINEL = 0xff;
const NEWLINE = 0x0a;
/** A reply larger than this is refused (a 48 MiB guest-file-read, base64, is ~64 MiB). */
const MAX_REPLY_BYTES = 80 * 1024 * 1024;

let nextSyncId = Math.floor(Math.random() * 1_000_000_000);

export class GuestAgentClient {
  readonly #socket: Socket;
  readonly #options: GaConnectOptions;
  readonly #label: string;
  #chunks: Buffer[] = [];
  #length = 0;
  /** Bytes of the buffered data already searched for a newline. */
  #scanned = 0;
  /** While set, input is skipped up to a sentinel and must then answer this sync id. */
  #syncing: { id: number; sawSentinel: boolean } | null = null;
  #pending: Pending | null = null;
  #closed: Error | null = null;

  private constructor(socket: Socket, label: string, options: GaConnectOptions) {
    this.#socket = socket;
    this.#label = label;
    this.#options = options;
  }

  /**
   * Connects to the agent's socket and brings the stream into step (`guest-sync-delimited`).
   * Rejects with `GUEST_UNAVAILABLE` when the socket is not there or the agent does not answer.
   * @example
   * ```ts
   * const ga = await GuestAgentClient.connect('/tmp/hvk-1a2b/vm1.qga', { syncTimeoutMs: 1_000 });
   * const info = await ga.execute('guest-get-osinfo');
   * ga.close();
   * ```
   */
  static async connect(socketPath: string, options: GaConnectOptions & { label?: string } = {}): Promise<GuestAgentClient> {
    const label = options.label ?? socketPath;
    let socket: Socket;
    try {
      socket = await connectOnce(socketPath);
    } catch (e) {
      throw unavailable(`cannot reach the guest agent channel of ${label}: ${(e as Error).message}`, e);
    }
    const client = new GuestAgentClient(socket, label, options);
    client.#attach();
    try {
      await client.sync(options.syncTimeoutMs ?? 2_000);
    } catch (e) {
      client.close();
      throw e;
    }
    return client;
  }

  get closed(): boolean {
    return this.#closed !== null;
  }

  /** Re-synchronises the stream; rejects with `GUEST_UNAVAILABLE` when the agent does not answer in time. */
  sync(timeoutMs: number): Promise<void> {
    const id = ++nextSyncId % 2_000_000_000;
    this.#syncing = { id, sawSentinel: false };
    return this.#call('guest-sync-delimited', { id }, timeoutMs, Buffer.from([SENTINEL])).then(
      (value) => {
        if (value !== id) throw unavailable(`the guest agent of ${this.#label} answered the sync with ${JSON.stringify(value)}, not ${id}`);
      },
      (e: unknown) => {
        if (e instanceof HvkubeError && e.code === 'GUEST_TIMEOUT') {
          throw unavailable(`the guest agent of ${this.#label} did not answer within ${timeoutMs} ms`, e, {
            hint: 'the guest needs qemu-ga running on the org.qemu.guest_agent.0 port (Linux: qemu-guest-agent; Windows: virtio-win guest tools)',
            details: { timeoutMs },
          });
        }
        throw e;
      },
    );
  }

  /** Runs one command and answers its `return`; rejects with GaError on an error reply. */
  execute(command: string, args?: GaObject, options: { timeoutMs?: number } = {}): Promise<GaValue> {
    return this.#call(command, args, options.timeoutMs ?? this.#options.commandTimeoutMs ?? 30_000);
  }

  close(): void {
    this.#fail(unavailable(`the guest agent connection of ${this.#label} was closed`));
  }

  #call(command: string, args: GaObject | undefined, timeoutMs: number, prefix?: Buffer): Promise<GaValue> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (this.#pending) {
      return Promise.reject(new HvkubeError('INTERNAL', `guest agent ${command} sent while ${this.#pending.command} is unanswered`));
    }
    return new Promise<GaValue>((resolve, reject) => {
      const timer = setTimeout(() => {
        // The reply may still come: the stream is out of step from here on.
        this.#fail(new HvkubeError('GUEST_TIMEOUT', `the guest agent of ${this.#label} did not answer ${command} within ${timeoutMs} ms`, {
          details: { command, timeoutMs },
        }));
      }, timeoutMs);
      this.#pending = { command, started: performance.now(), resolve, reject, timer };
      const message = Buffer.from(`${JSON.stringify(args === undefined ? { execute: command } : { execute: command, arguments: args })}\n`);
      this.#socket.write(prefix ? Buffer.concat([prefix, message]) : message);
    });
  }

  #attach(): void {
    this.#socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    this.#socket.on('error', (e) => this.#fail(unavailable(`guest agent channel of ${this.#label}: ${e.message}`, e)));
    this.#socket.on('close', () => this.#fail(unavailable(`the guest agent channel of ${this.#label} closed (the VM's process ended?)`)));
  }

  #receive(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    if (this.#length > MAX_REPLY_BYTES) {
      this.#fail(unavailable(`the guest agent of ${this.#label} sent a reply over ${MAX_REPLY_BYTES} bytes`));
      return;
    }
    for (;;) {
      let data = this.#data();
      if (this.#syncing && !this.#syncing.sawSentinel) {
        const at = data.indexOf(SENTINEL);
        if (at < 0) {
          this.#drop(data.length);
          return;
        }
        this.#drop(at + 1);
        this.#syncing.sawSentinel = true;
        data = this.#data();
      }
      const newline = data.indexOf(NEWLINE, this.#scanned);
      if (newline < 0) {
        this.#scanned = data.length;
        return;
      }
      const line = data.subarray(0, newline).toString('utf8').trim();
      this.#drop(newline + 1);
      if (line) this.#handleLine(line);
      if (this.#closed) return;
    }
  }

  #data(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#length)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  #drop(bytes: number): void {
    const data = this.#data().subarray(bytes);
    this.#chunks = data.length > 0 ? [data] : [];
    this.#length = data.length;
    this.#scanned = 0;
  }

  #handleLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      // A stale half-reply cut by a sentinel, or garbage: never ours once in step.
      if (this.#syncing) {
        this.#syncing.sawSentinel = false;
        return;
      }
      this.#fail(unavailable(`the guest agent of ${this.#label} sent a line that is not JSON: ${line.slice(0, 120)}`));
      return;
    }
    if (!isObject(message)) return;
    if (this.#syncing) {
      // Only the reply to our own sync ends the sync; a stale one (another id) is skipped.
      if (message.return !== this.#syncing.id) {
        this.#syncing.sawSentinel = false;
        return;
      }
      this.#syncing = null;
    }
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = null;
    clearTimeout(pending.timer);
    this.#options.onCall?.(pending.command, performance.now() - pending.started);
    const error = message.error;
    if (isObject(error)) {
      pending.reject(new GaError(pending.command, gaText(error.class ?? 'GenericError'), gaText(error.desc)));
    } else {
      pending.resolve(message.return ?? null);
    }
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#closed = error;
    const pending = this.#pending;
    this.#pending = null;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#socket.destroy();
  }
}

function connectOnce(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export function isObject(value: unknown): value is GaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function gaText(value: GaValue | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function unavailable(message: string, cause?: unknown, extra: { hint?: string; details?: Record<string, unknown> } = {}): HvkubeError {
  return new HvkubeError('GUEST_UNAVAILABLE', message, { cause, ...extra });
}

/**
 * A small QMP client over a unix socket: JSON lines, one greeting, `qmp_capabilities`, then
 * commands matched to replies by id. Asynchronous events are delivered to listeners and kept in a
 * bounded buffer, so `waitForEvent` also finds an event that arrived before it was called.
 * @module
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { HypervisorError } from '../../domain/errors.js';

export type QmpValue = null | boolean | number | string | QmpValue[] | { [key: string]: QmpValue };
export type QmpObject = { [key: string]: QmpValue };

export interface QmpEvent {
  event: string;
  data: QmpObject;
  /** Milliseconds since the epoch, from QEMU's timestamp. */
  at: number;
}

/** An error reply from QEMU (`{"error": {"class", "desc"}}`). */
export class QmpError extends Error {
  override readonly name = 'QmpError';
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`QMP ${command} failed: ${errorClass}: ${desc}`);
  }
}

export interface QmpConnectOptions {
  /** How long to retry while the socket does not exist or refuses. Default is 10 000 ms. */
  connectTimeoutMs?: number;
  /** Default timeout of each command. Default is 30 000 ms. */
  commandTimeoutMs?: number;
  /** Called with each command's round-trip time, for metrics. */
  onCall?: (command: string, ms: number) => void;
  /** Retrying stops early when this answers false (e.g. the QEMU process has died). */
  keepTrying?: () => boolean;
}

interface Pending {
  command: string;
  started: number;
  resolve: (value: QmpValue) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface EventWaiter {
  name: string;
  predicate: (data: QmpObject) => boolean;
  resolve: (event: QmpEvent) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Events kept for late `waitForEvent` calls; old ones are dropped first. */
const EVENT_BUFFER_SIZE = 256;

export class QmpClient {
  readonly #socket: Socket;
  readonly #options: QmpConnectOptions;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<(event: QmpEvent) => void>();
  readonly #waiters = new Set<EventWaiter>();
  readonly #events: QmpEvent[] = [];
  #nextId = 1;
  #buffer = '';
  #closed: Error | null = null;

  private constructor(socket: Socket, options: QmpConnectOptions) {
    this.#socket = socket;
    this.#options = options;
  }

  /**
   * Connects (retrying until the socket exists), reads the greeting and enters command mode.
   * @example
   * ```ts
   * const qmp = await QmpClient.connect('/tmp/hvk-1a2b/vm1.qmp');
   * const status = await qmp.execute('query-status');
   * ```
   */
  static async connect(socketPath: string, options: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    const socket = await connectWithRetry(socketPath, timeoutMs, options.keepTrying);
    const client = new QmpClient(socket, options);
    const greeting = new Promise<void>((resolve, reject) => {
      client.#onGreeting = resolve;
      client.#onGreetingError = reject;
    });
    client.#attach();
    const timer = setTimeout(() => client.#fail(timeoutError('the QMP greeting', timeoutMs)), timeoutMs);
    try {
      await greeting;
      await client.execute('qmp_capabilities');
    } catch (e) {
      client.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  #onGreeting: (() => void) | null = null;
  #onGreetingError: ((e: Error) => void) | null = null;

  get closed(): boolean {
    return this.#closed !== null;
  }

  /** Runs a command and answers its `return` value; rejects with QmpError on an error reply. */
  execute(command: string, args?: QmpObject, options: { timeoutMs?: number } = {}): Promise<QmpValue> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    const timeoutMs = options.timeoutMs ?? this.#options.commandTimeoutMs ?? 30_000;
    return new Promise<QmpValue>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(timeoutError(`QMP ${command}`, timeoutMs));
      }, timeoutMs);
      this.#pending.set(id, { command, started: performance.now(), resolve, reject, timer });
      const message = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.#socket.write(`${JSON.stringify(message)}\n`);
    });
  }

  /** Subscribes to every event; answers the unsubscribe function. */
  onEvent(listener: (event: QmpEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolves with the first event named `name` whose data satisfies `predicate`, looking first at
   * events already received (which it consumes) and then at new ones.
   */
  waitForEvent(name: string, predicate: (data: QmpObject) => boolean = () => true, timeoutMs = 30_000): Promise<QmpEvent> {
    const index = this.#events.findIndex((e) => e.event === name && predicate(e.data));
    if (index >= 0) {
      const [event] = this.#events.splice(index, 1);
      if (event) return Promise.resolve(event);
    }
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise<QmpEvent>((resolve, reject) => {
      const waiter: EventWaiter = {
        name,
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(timeoutError(`the QMP event ${name}`, timeoutMs));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Forgets buffered events named `name`, so a later wait sees only new ones. */
  discardEvents(name: string): void {
    for (let i = this.#events.length - 1; i >= 0; i--) {
      if (this.#events[i]?.event === name) this.#events.splice(i, 1);
    }
  }

  /** Closes the connection; pending commands and waits reject. */
  close(): void {
    if (!this.#closed) this.#fail(unavailable('the QMP connection was closed'));
    this.#socket.destroy();
  }

  /** Resolves when the peer has closed the connection (e.g. after `quit`). */
  whenClosed(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#socket.once('close', () => resolve()));
  }

  #attach(): void {
    this.#socket.setEncoding('utf8');
    this.#socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let newline = this.#buffer.indexOf('\n');
      while (newline >= 0) {
        const line = this.#buffer.slice(0, newline).trim();
        this.#buffer = this.#buffer.slice(newline + 1);
        if (line) this.#handleLine(line);
        newline = this.#buffer.indexOf('\n');
      }
    });
    this.#socket.on('error', (e) => this.#fail(unavailable(`QMP socket error: ${e.message}`, e)));
    this.#socket.on('close', () => this.#fail(unavailable('QEMU closed the QMP connection')));
  }

  #handleLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.#fail(new HypervisorError('HV_FAILED', `QMP sent a line that is not JSON: ${line.slice(0, 120)}`));
      this.#socket.destroy();
      return;
    }
    if (!isObject(message)) return;
    if ('QMP' in message) {
      this.#onGreeting?.();
      this.#onGreeting = null;
      return;
    }
    if (typeof message.event === 'string') {
      this.#dispatchEvent(message);
      return;
    }
    const id = message.id;
    const pending = typeof id === 'number' ? this.#pending.get(id) : undefined;
    if (!pending || typeof id !== 'number') return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    this.#options.onCall?.(pending.command, performance.now() - pending.started);
    const error = message.error;
    if (isObject(error)) {
      pending.reject(new QmpError(pending.command, qmpText(error.class ?? 'GenericError'), qmpText(error.desc)));
    } else {
      pending.resolve(message.return ?? null);
    }
  }

  #dispatchEvent(message: QmpObject): void {
    const stamp = message.timestamp;
    const at = isObject(stamp) && typeof stamp.seconds === 'number' && typeof stamp.microseconds === 'number'
      ? stamp.seconds * 1000 + Math.floor(stamp.microseconds / 1000)
      : Date.now();
    const event: QmpEvent = { event: qmpText(message.event), data: isObject(message.data) ? message.data : {}, at };
    for (const listener of this.#listeners) listener(event);
    for (const waiter of this.#waiters) {
      if (waiter.name === event.event && waiter.predicate(event.data)) {
        this.#waiters.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.resolve(event);
        return;
      }
    }
    this.#events.push(event);
    if (this.#events.length > EVENT_BUFFER_SIZE) this.#events.shift();
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#closed = error;
    this.#onGreetingError?.(error);
    this.#onGreetingError = null;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.#waiters.clear();
    this.#socket.destroy();
  }
}

async function connectWithRetry(socketPath: string, timeoutMs: number, keepTrying?: () => boolean): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    try {
      return await connectOnce(socketPath);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const retryable = code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EAGAIN';
      if (!retryable) throw unavailable(`cannot connect to QMP at ${socketPath}: ${(e as Error).message}`, e);
      if (Date.now() >= deadline || (keepTrying && !keepTrying())) {
        throw new HypervisorError('HV_UNAVAILABLE', `QMP socket ${socketPath} did not accept a connection`, {
          hint: 'the QEMU process may have failed to start; see its qemu.log',
          details: { socketPath, code },
          cause: e,
        });
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 50);
    }
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

/** A QMP value as text: strings as they are, anything else as JSON. */
export function qmpText(value: QmpValue | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function isObject(value: unknown): value is QmpObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function timeoutError(what: string, ms: number): HypervisorError {
  return new HypervisorError('HV_TIMEOUT', `${what} did not answer within ${ms} ms`, { details: { timeoutMs: ms } });
}

function unavailable(message: string, cause?: unknown): HypervisorError {
  return new HypervisorError('HV_UNAVAILABLE', message, { cause });
}

/** Maps a QMP error reply to the HypervisorError the orchestrator reacts to. */
export function toHypervisorError(e: unknown, context: string): HypervisorError {
  if (e instanceof HypervisorError) return e;
  if (e instanceof QmpError) {
    return new HypervisorError('HV_FAILED', `${context}: ${e.message}`, {
      details: { command: e.command, errorClass: e.errorClass },
      cause: e,
    });
  }
  return new HypervisorError('HV_FAILED', `${context}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/**
 * Saving and loading a VM's device state by migration (qemu.md §4c). Guest RAM lives in a shared
 * file (`memory-backend-file,share=on`) and `x-ignore-shared` leaves it out of the stream, so the
 * state is about half a megabyte whatever the RAM size.
 *
 * Outgoing: QEMU connects to a unix socket this process listens on and we write the stream to the
 * file; the save is complete when our write stream has finished, with no helper process. (With
 * `exec:cat > file`, QEMU signals the `cat` as soon as it closes the pipe, which can race with
 * the last write.) Incoming: the state file is inherited by the new process as fd 3
 * (`migrate-incoming fd:3`), which avoids spawning `cat`; `exec:cat <file>` remains as fallback.
 * @module
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { HypervisorError } from '../../domain/errors.js';
import { qmpText, type QmpClient, type QmpObject } from './qmp-client.js';

export type IncomingTransport = 'fd' | 'exec';

/** The fd number the state file has in a resumed QEMU (after stdin, stdout, stderr). */
export const INCOMING_FD = 3;

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Sets what both sides of a migration need: RAM left in the shared file, events, no bandwidth cap. */
export async function prepareMigration(qmp: QmpClient): Promise<void> {
  await qmp.execute('migrate-set-capabilities', {
    capabilities: [
      { capability: 'x-ignore-shared', state: true },
      { capability: 'events', state: true },
    ],
  });
  // The default cap is 32 MiB/s (qemu.md): far too slow for a local file.
  await qmp.execute('migrate-set-parameters', { 'max-bandwidth': 100 * 1024 ** 3 });
}

/**
 * Writes the device state of a stopped VM to `file` (through `file.tmp`, renamed when complete).
 * The VM stays in `postmigrate`: the caller either quits it or continues it with `cont`.
 */
export async function migrateToFile(qmp: QmpClient, socketPath: string, file: string, timeoutMs: number): Promise<void> {
  const tmp = `${file}.tmp`;
  await rm(socketPath, { force: true });
  let server: Server | undefined;
  try {
    let onConnection: (socket: Socket) => void = () => undefined;
    const connection = new Promise<Socket>((resolve) => (onConnection = resolve));
    // Reading starts at once: QEMU blocks on a full socket until we drain it.
    const received = connection.then((socket) => pipeline(socket, createWriteStream(tmp)));
    received.catch(() => undefined);
    server = createServer((socket) => {
      server?.close();
      onConnection(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server?.once('error', reject);
      server?.listen(socketPath, resolve);
    });
    qmp.discardEvents('MIGRATION');
    await qmp.execute('migrate', { uri: `unix:${socketPath}` });
    await waitForMigration(qmp, 'save', timeoutMs);
    await withTimeout(received, timeoutMs, 'writing the saved state');
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    server?.close();
    await rm(socketPath, { force: true });
  }
}

/** Loads the state into a process started with `-incoming defer`; it ends `paused`. */
export async function migrateFromFile(
  qmp: QmpClient,
  transport: IncomingTransport,
  file: string,
  timeoutMs: number,
): Promise<void> {
  qmp.discardEvents('MIGRATION');
  const uri = transport === 'fd' ? `fd:${INCOMING_FD}` : `exec:cat ${shellSafePath(file)}`;
  await qmp.execute('migrate-incoming', { uri });
  await waitForMigration(qmp, 'resume', timeoutMs);
}

/**
 * QEMU runs an `exec:` URI through `/bin/sh -c`, so the path must be one we generated: absolute,
 * and made of characters no shell gives a meaning to.
 */
export function shellSafePath(file: string): string {
  if (!/^\/[A-Za-z0-9._/+-]+$/.test(file) || file.split('/').includes('..')) {
    throw new HypervisorError('HV_FAILED', `refusing to put ${JSON.stringify(file)} in an exec: migration URI`, {
      hint: 'use a data directory whose path has only letters, digits, ".", "_", "+", "-" and "/"; or the fd transport',
    });
  }
  return file;
}

async function waitForMigration(qmp: QmpClient, what: 'save' | 'resume', timeoutMs: number): Promise<void> {
  const event = await qmp.waitForEvent('MIGRATION', (d) => TERMINAL.has(qmpText(d.status)), timeoutMs);
  if (event.data.status === 'completed') return;
  const info = (await qmp.execute('query-migrate').catch(() => null)) as QmpObject | null;
  const reason = typeof info?.['error-desc'] === 'string' ? info['error-desc'] : qmpText(event.data.status);
  throw new HypervisorError(what === 'resume' ? 'HV_SAVED_STATE_INCOMPATIBLE' : 'HV_FAILED', `${what} migration ${qmpText(event.data.status)}: ${reason}`, {
    details: { status: event.data.status },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new HypervisorError('HV_TIMEOUT', `${what} took longer than ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

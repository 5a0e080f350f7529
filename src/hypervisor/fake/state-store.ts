/**
 * Where the simulated host lives: in this object only, or in a JSON file shared by processes.
 * @module
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HypervisorError } from '../../domain/errors.js';
import { emptyHostState, hostStateSchema, type FakeHostState } from './fake-state.js';
import { withFileLock } from './file-lock.js';

export interface FakeStateStore {
  /** The state file, or null in memory. */
  readonly location: string | null;
  /**
   * Runs `fn` on the current state and keeps what it changed, even when it throws: a failed
   * operation can still have an effect (a corrupt saved state is discarded, a fault is used up).
   */
  mutate<T>(fn: (state: FakeHostState) => T): Promise<T>;
}

export class MemoryStateStore implements FakeStateStore {
  readonly location = null;
  private readonly state = emptyHostState();

  async mutate<T>(fn: (state: FakeHostState) => T): Promise<T> {
    return fn(this.state);
  }
}

interface FileStamp {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

function sameStamp(a: FileStamp | null, b: FileStamp | null): boolean {
  return (
    a !== null && b !== null && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs
  );
}

function stampOf(file: string): FileStamp | null {
  const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  return st ? { ino: st.ino, size: st.size, mtimeNs: st.mtimeNs } : null;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An operation whose process died never finishes: the VM goes back to where it was. */
function healAbandonedOperations(state: FakeHostState): void {
  for (const vm of Object.values(state.vms)) {
    if (vm.busy && vm.busy.pid !== process.pid && !processAlive(vm.busy.pid)) {
      vm.state = vm.busy.from;
      vm.busy = null;
    }
  }
}

export class FileStateStore implements FakeStateStore {
  private cached: { state: FakeHostState; text: string; stamp: FileStamp | null } | null = null;
  private readonly lockPath: string;

  constructor(
    readonly location: string,
    private readonly staleLockMs: number,
  ) {
    this.lockPath = `${location}.lock`;
    fs.mkdirSync(path.dirname(location), { recursive: true });
  }

  async mutate<T>(fn: (state: FakeHostState) => T): Promise<T> {
    // The critical section is synchronous, so in-process callers never meet their own lock.
    return withFileLock(this.lockPath, this.staleLockMs, () => {
      const current = this.load();
      let result: T;
      try {
        result = fn(current.state);
      } finally {
        this.store(current.state, current.text);
      }
      return result;
    });
  }

  private load(): { state: FakeHostState; text: string } {
    const stamp = stampOf(this.location);
    if (
      this.cached &&
      (sameStamp(stamp, this.cached.stamp) || (stamp === null && this.cached.stamp === null))
    ) {
      return this.cached;
    }
    if (stamp === null) {
      const state = emptyHostState();
      this.cached = { state, text: '', stamp: null };
      return this.cached;
    }
    const text = fs.readFileSync(this.location, 'utf8');
    const state = this.parse(text);
    healAbandonedOperations(state);
    this.cached = { state, text, stamp };
    return this.cached;
  }

  private parse(text: string): FakeHostState {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw this.unreadable((e as Error).message, e);
    }
    const result = hostStateSchema.safeParse(data);
    if (!result.success)
      throw this.unreadable(result.error.issues[0]?.message ?? 'unexpected content', result.error);
    return result.data;
  }

  private unreadable(reason: string, cause: unknown): HypervisorError {
    return new HypervisorError(
      'HV_UNAVAILABLE',
      `the fake host's state file ${this.location} is unreadable: ${reason}`,
      {
        hint: 'delete the file to start over with an empty simulated host',
        cause,
      },
    );
  }

  private store(state: FakeHostState, previousText: string): void {
    const text = JSON.stringify(state);
    if (text === previousText) return;
    const tmp = `${this.location}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, this.location);
    this.cached = { state, text, stamp: stampOf(this.location) };
  }
}

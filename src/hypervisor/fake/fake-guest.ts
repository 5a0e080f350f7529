/**
 * The fake backend's guest channel: a small simulated file system per VM, a handful of
 * simulated commands and a clipboard. It lives in the VM record, so it is saved with the VM,
 * captured by checkpoints and put back by a restore like the rest of the VM's state.
 *
 * The simulated file system is data in the state, never the host's: no command or path here
 * can read or write a host file, whatever it says (`..`, absolute host paths, quotes).
 *
 * Commands: `echo ARGS…`, `cat [FILE…]` (stdin without files), `ls [DIR]`, `sleep SECONDS`,
 * `exit N`, `env`, `pwd`, `hostname`, `tee FILE` (stdin to the file and stdout), `mkdir DIR`,
 * `true`, `false`. Anything else answers exit code 127 like a shell. With `shell`, the one
 * string is split on blanks (no quoting, no expansion: the fake has no real shell).
 * @module
 */
import path from 'node:path';
import { HvkubeError } from '../../domain/errors.js';
import type { GuestExecRequest, GuestFileEntry } from '../guest.js';

/** A directory is a path with a trailing entry in `dirs`; files hold Base64 content. */
export interface FakeGuestFs {
  files: Record<string, { data: string; modified: string }>;
  dirs: string[];
  clipboard: string;
}

/** The most the whole simulated disk holds (the state file carries it as Base64). */
export const FAKE_GUEST_CAPACITY_BYTES = 64 * 1024 * 1024;
export const FAKE_GUEST_HOME = '/home/user';

export function newGuestFs(vmName: string, now: Date): FakeGuestFs {
  return {
    files: {
      '/etc/hostname': { data: Buffer.from(`${vmName}\n`).toString('base64'), modified: now.toISOString() },
    },
    dirs: ['/', '/etc', '/home', FAKE_GUEST_HOME, '/tmp'],
    clipboard: '',
  };
}

export function copyGuestFs(fs: FakeGuestFs): FakeGuestFs {
  return { files: Object.fromEntries(Object.entries(fs.files).map(([k, v]) => [k, { ...v }])), dirs: [...fs.dirs], clipboard: fs.clipboard };
}

function notFound(vmName: string, guestPath: string, what = 'no such file or directory'): HvkubeError {
  return new HvkubeError('GUEST_PATH_NOT_FOUND', `${guestPath} in VM ${vmName}: ${what}`, {
    hint: `list the folder first (hvkube vm ls ${vmName}:${path.posix.dirname(guestPath)})`,
    details: { vm: vmName, path: guestPath },
  });
}

/** An absolute guest path with `.` and `..` resolved inside the guest (never above its root). */
export function guestPath(vmName: string, value: string, cwd = FAKE_GUEST_HOME): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096 || value.includes('\0')) {
    throw new HvkubeError('INVALID_INPUT', 'a guest path must be 1 to 4096 characters without NUL', { details: { vm: vmName } });
  }
  return path.posix.resolve('/', cwd, value);
}

function isDir(fs: FakeGuestFs, p: string): boolean {
  return fs.dirs.includes(p);
}

function usedBytes(fs: FakeGuestFs, except?: string): number {
  let sum = 0;
  for (const [p, f] of Object.entries(fs.files)) if (p !== except) sum += Math.floor((f.data.length * 3) / 4);
  return sum;
}

export function readGuestFile(fs: FakeGuestFs, vmName: string, p: string, maxBytes: number): Buffer {
  const file = fs.files[p];
  if (!file) throw notFound(vmName, p, isDir(fs, p) ? 'is a directory' : 'no such file');
  const data = Buffer.from(file.data, 'base64');
  if (data.length > maxBytes) {
    throw new HvkubeError('GUEST_FILE_TOO_LARGE', `${p} in VM ${vmName} is ${data.length} bytes, over the limit of ${maxBytes}; nothing was copied`, {
      hint: 'raise the size limit (--max-size / max_bytes) or copy a smaller file',
      details: { vm: vmName, path: p, size: data.length, maxBytes },
    });
  }
  return data;
}

export function writeGuestFile(fs: FakeGuestFs, vmName: string, p: string, data: Buffer, now: Date): void {
  if (isDir(fs, p)) throw notFound(vmName, p, 'is a directory');
  if (!isDir(fs, path.posix.dirname(p))) throw notFound(vmName, p, `folder ${path.posix.dirname(p)} does not exist`);
  if (usedBytes(fs, p) + data.length > FAKE_GUEST_CAPACITY_BYTES) {
    throw new HvkubeError('GUEST_FILE_TOO_LARGE', `the fake guest of VM ${vmName} holds at most ${FAKE_GUEST_CAPACITY_BYTES} bytes; ${p} (${data.length} bytes) does not fit and was not written`, {
      hint: 'the fake backend keeps guest files in its state file; use a smaller file',
      details: { vm: vmName, path: p, size: data.length },
    });
  }
  fs.files[p] = { data: data.toString('base64'), modified: now.toISOString() };
}

export function listGuestDir(fs: FakeGuestFs, vmName: string, p: string): GuestFileEntry[] {
  if (!isDir(fs, p)) {
    const file = fs.files[p];
    if (!file) throw notFound(vmName, p);
    return [{ name: path.posix.basename(p), type: 'file', size: Math.floor((file.data.length * 3) / 4), modified: file.modified }];
  }
  const children: GuestFileEntry[] = [];
  for (const d of fs.dirs) {
    if (d !== p && path.posix.dirname(d) === p) children.push({ name: path.posix.basename(d), type: 'dir', size: 0, modified: null });
  }
  for (const [f, file] of Object.entries(fs.files)) {
    if (path.posix.dirname(f) === p) children.push({ name: path.posix.basename(f), type: 'file', size: Buffer.from(file.data, 'base64').length, modified: file.modified });
  }
  return children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function makeDir(fs: FakeGuestFs, vmName: string, p: string): void {
  if (isDir(fs, p)) return;
  if (fs.files[p]) throw notFound(vmName, p, 'a file is in the way');
  if (!isDir(fs, path.posix.dirname(p))) throw notFound(vmName, p, `folder ${path.posix.dirname(p)} does not exist`);
  fs.dirs.push(p);
}

/** What one simulated command did; `sleepMs` is waited out by the caller, outside the state lock. */
export interface FakeCommandOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  sleepMs: number;
}

/** Runs one simulated command against the VM's guest state (mutating it for `tee`/`mkdir`). */
export function runFakeCommand(fs: FakeGuestFs, vmName: string, request: GuestExecRequest, now: Date): FakeCommandOutcome {
  const argv = request.shell ? (request.argv[0] ?? '').split(/\s+/).filter((a) => a !== '') : request.argv;
  const [program = '', ...args] = argv;
  const out = (stdout: string, exitCode = 0, stderr = ''): FakeCommandOutcome => ({ exitCode, stdout, stderr, sleepMs: 0 });
  const fail = (message: string, exitCode = 1): FakeCommandOutcome => out('', exitCode, `${program}: ${message}\n`);
  let cwd: string;
  try {
    cwd = guestPath(vmName, request.cwd ?? FAKE_GUEST_HOME, '/');
  } catch {
    return fail('bad working directory');
  }
  if (!isDir(fs, cwd)) return out('', 1, `fake guest: cannot change to ${cwd}: no such directory\n`);
  const resolve = (p: string): string => guestPath(vmName, p, cwd);
  const stdin = request.stdin ? request.stdin.toString('utf8') : '';
  try {
    switch (path.posix.basename(program)) {
      case 'echo':
        return out(`${args.join(' ')}\n`);
      case 'cat': {
        if (args.length === 0) return out(stdin);
        let text = '';
        for (const a of args) {
          const p = resolve(a);
          const f = fs.files[p];
          if (!f) return out(text, 1, `cat: ${a}: ${isDir(fs, p) ? 'Is a directory' : 'No such file or directory'}\n`);
          text += Buffer.from(f.data, 'base64').toString('utf8');
        }
        return out(text);
      }
      case 'ls': {
        const entries = listGuestDir(fs, vmName, resolve(args[0] ?? '.'));
        return out(entries.map((e) => `${e.name}${e.type === 'dir' ? '/' : ''}\n`).join(''));
      }
      case 'sleep': {
        const seconds = Number(args[0]);
        if (!Number.isFinite(seconds) || seconds < 0) return fail('invalid time interval');
        return { exitCode: 0, stdout: '', stderr: '', sleepMs: Math.round(seconds * 1000) };
      }
      case 'exit': {
        const code = args[0] === undefined ? 0 : Number(args[0]);
        return out('', Number.isInteger(code) ? ((code % 256) + 256) % 256 : 2);
      }
      case 'env': {
        const env = { HOME: FAKE_GUEST_HOME, PATH: '/usr/bin:/bin', HOSTNAME: vmName, ...(request.env ?? {}) };
        return out(Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
      }
      case 'pwd':
        return out(`${cwd}\n`);
      case 'hostname':
        return out(`${vmName}\n`);
      case 'true':
        return out('');
      case 'false':
        return out('', 1);
      case 'tee': {
        if (args[0] === undefined) return out(stdin);
        writeGuestFile(fs, vmName, resolve(args[0]), Buffer.from(stdin, 'utf8'), now);
        return out(stdin);
      }
      case 'mkdir': {
        for (const a of args) makeDir(fs, vmName, resolve(a));
        return out('');
      }
      default:
        return out('', 127, `fake guest: ${program}: command not found (simulated commands: echo cat ls sleep exit env pwd hostname tee mkdir true false)\n`);
    }
  } catch (e) {
    if (e instanceof HvkubeError) return fail(e.message);
    throw e;
  }
}

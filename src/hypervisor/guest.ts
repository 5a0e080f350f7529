/**
 * Work inside a running guest, from the host, with no network in the guest: QEMU through its guest
 * agent channel (qemu-ga over virtio-serial), Hyper-V through PowerShell Direct and Copy-VMFile.
 * A backend that has no such channel, or a VM whose guest does not answer on it, refuses with
 * `GUEST_UNAVAILABLE` and says why; nothing here ever passes through a shell unless `shell` asks.
 */

export interface GuestExecRequest {
  /** The program and its arguments, each passed as data (never joined into a command line). */
  argv: string[];
  /** Run through the guest's shell (`/bin/sh -c` / `cmd.exe /c`) instead: `argv` is then one string. */
  shell?: boolean;
  cwd?: string;
  /** Added to the guest's environment for this command only. */
  env?: Record<string, string>;
  stdin?: Buffer;
  /** Killed (where the channel can) and answered `timedOut` after this long. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface GuestExecResult {
  /** Null when it timed out or the guest did not report one. */
  exitCode: number | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  /** True when the guest cut output beyond what the channel carries. */
  truncated: boolean;
  durationMs: number;
}

export interface GuestFileEntry {
  name: string;
  type: 'file' | 'dir' | 'link' | 'other';
  size: number;
  /** ISO 8601, or null when the guest does not say. */
  modified: string | null;
}

export interface GuestInfo {
  /** e.g. `linux`, `mswindows` (qemu-ga's ids), or null when unknown. */
  os: string | null;
  prettyName: string | null;
  hostname: string | null;
  addresses: string[];
}

/** Optional part of a backend: present when it can reach inside guests at all. */
export interface GuestOps {
  /** Answers quickly whether the guest's side of the channel is there (qemu-ga `guest-ping`). */
  ping(name: string, options?: { timeoutMs?: number }): Promise<boolean>;
  info(name: string): Promise<GuestInfo>;
  exec(name: string, request: GuestExecRequest): Promise<GuestExecResult>;
  /** Refuses with `GUEST_FILE_TOO_LARGE` beyond `maxBytes` rather than reading part of it. */
  readFile(name: string, guestPath: string, options: { maxBytes: number; onProgress?: (bytes: number) => void }): Promise<Buffer>;
  writeFile(name: string, guestPath: string, data: Buffer, options?: { onProgress?: (bytes: number) => void }): Promise<void>;
  listFiles(name: string, guestPath: string): Promise<GuestFileEntry[]>;
  getClipboard(name: string): Promise<string>;
  setClipboard(name: string, text: string): Promise<void>;
}

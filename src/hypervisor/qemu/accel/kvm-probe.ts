/**
 * The KVM probe: does a guest actually run under `-accel kvm` with this CPU model? A present
 * `/dev/kvm` is not enough (nested virtualisation without the CPU features, VT-x off in
 * firmware, a container given the device): QEMU may refuse the model, abort on an MSR, or start
 * and never run guest code. The probe boots the payload of probe-payload.ts with `enforce` (QEMU
 * refuses a model the host cannot provide in full, instead of warning and running a guest that
 * may stall) and requires its marker on the serial port within a short limit.
 * @module
 */
import { spawn } from 'node:child_process';
import { PROBE_MARKER } from './probe-payload.js';

export interface KvmProbeRequest {
  qemuBinary: string;
  /** The firmware image from `writeProbeFirmware`. */
  firmware: string;
  cpuModel: string;
  timeoutMs: number;
}

export type KvmProbeResult = { ok: true; ms: number } | { ok: false; ms: number; reason: string };

/** Boots the probe payload once under KVM; never leaves its process behind. */
export function probeKvmOnce(request: KvmProbeRequest): Promise<KvmProbeResult> {
  const started = Date.now();
  const args = [
    '-machine', 'q35', '-accel', 'kvm', '-cpu', `${request.cpuModel},enforce`, '-m', '16M', '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-bios', request.firmware, '-serial', 'stdio',
  ];
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    // Its own process group, so that a wrapper script and whatever it started end with it.
    const child = spawn(request.qemuBinary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const finish = (result: KvmProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) {
        child.once('exit', () => resolve(result));
        killGroup(child.pid);
      } else resolve(result);
    };
    const timer = setTimeout(() => {
      const said = lastLine(stdout);
      finish({
        ok: false,
        ms: Date.now() - started,
        reason: `the guest made no progress within ${(request.timeoutMs / 1000).toFixed(1)} s under -cpu ${request.cpuModel}`
          + (said ? ` (last guest output: "${said}")` : ' (no guest output)'),
      });
    }, request.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes(PROBE_MARKER)) finish({ ok: true, ms: Date.now() - started });
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', (e) => finish({ ok: false, ms: Date.now() - started, reason: `cannot start ${request.qemuBinary}: ${e.message}` }));
    child.once('close', (code, signal) => {
      finish({ ok: false, ms: Date.now() - started, reason: exitReason(request.cpuModel, stderr, code, signal) });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** QEMU's own words, condensed: the features it misses, or its first error line. */
export function exitReason(cpuModel: string, stderr: string, code: number | null, signal: NodeJS.Signals | null): string {
  const missing = [...new Set([...stderr.matchAll(/requested feature: (\S+)/g)].map((m) => m[1]))];
  if (missing.length > 0) return `the host CPU lacks features of -cpu ${cpuModel}: ${missing.join(', ')}`;
  const lines = stderr.split(/\r?\n/).map((l) => l.replace(/^\S*qemu-system-\w+:\s*/, '').trim()).filter((l) => l !== '');
  const said = lines.find((l) => /fail|error|assert|could not|cannot/i.test(l)) ?? lines[0];
  const how = signal ? `QEMU was killed by ${signal}` : `QEMU exited with code ${code ?? 'unknown'}`;
  return said ? `${how}: ${said}` : `${how} before the guest ran`;
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  return (lines.at(-1) ?? '').slice(0, 160);
}

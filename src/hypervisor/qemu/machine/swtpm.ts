/**
 * A VM's TPM 2.0: one `swtpm socket` per running QEMU, with the VM's own state directory.
 *
 * Lifetime: swtpm is started just before its QEMU (a standby's included) and runs with
 * `--terminate`, so it ends by itself when its QEMU's connection goes, whichever way QEMU ends
 * (quit, crash, SIGKILL). It is also ended explicitly wherever hvkube ends a QEMU, and one left
 * without a QEMU (hvkube killed between starting the two) is swept when the VM is next looked
 * at. Its PID is recorded like QEMU's and recognised by its control socket on its command line.
 *
 * State: QEMU's `tpm-emulator` backend fetches swtpm's permanent and volatile state into the
 * migration stream on save and pushes it back into the new swtpm on resume, so the TPM a resumed
 * guest sees is the one it was saved with; the state directory holds the persistent part between
 * boots and is copied into checkpoints with the rest of the VM.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { HypervisorError } from '../../../domain/errors.js';
import type { MachineFiles } from './files.js';

/** swtpm left without a QEMU for longer than this is an orphan (not one another process is starting). */
export const ORPHAN_GRACE_MS = 30_000;

/**
 * Creates the TPM's persistent state the way a TPM leaves the factory: an endorsement key with
 * its certificate (as Windows expects of a firmware TPM), falling back to a key without
 * certificates where swtpm's local CA is not set up.
 */
export async function manufactureTpm(swtpmSetup: string, tpmDir: string): Promise<void> {
  await mkdir(tpmDir, { recursive: true, mode: 0o700 });
  const base = ['--tpm2', '--tpmstate', tpmDir, '--createek', '--not-overwrite'];
  try {
    await execa(swtpmSetup, [...base, '--create-ek-cert', '--create-platform-cert', '--lock-nvram']);
  } catch {
    try {
      await execa(swtpmSetup, base);
    } catch (e) {
      throw new HypervisorError('HV_UNAVAILABLE', `swtpm_setup could not create the TPM state in ${tpmDir}: ${(e as Error).message.split('\n')[0]}`, {
        hint: 'apt-get install swtpm swtpm-tools (or set the QEMU backend option machine.swtpmSetupBinary)',
        cause: e,
      });
    }
  }
}

/** Starts the VM's swtpm and waits until its control socket accepts QEMU; answers its PID. */
export async function startSwtpm(swtpm: string, files: MachineFiles, timeoutMs = 10_000): Promise<number> {
  await endSwtpm(files);
  await rm(files.tpmSocket, { force: true });
  await mkdir(files.tpmDir, { recursive: true, mode: 0o700 });
  const child = spawn(
    swtpm,
    [
      'socket', '--tpm2',
      '--tpmstate', `dir=${files.tpmDir},mode=0600`,
      '--ctrl', `type=unixio,path=${files.tpmSocket},mode=0600`,
      '--log', `file=${files.swtpmLog},level=1`,
      '--terminate',
    ],
    { stdio: 'ignore', detached: true },
  );
  const failed = new Promise<string>((resolve) => {
    child.once('error', (e) => resolve(e.message));
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? String(code)}`));
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    throw new HypervisorError('HV_UNAVAILABLE', `cannot start ${swtpm}: ${await failed}`, { hint: 'apt-get install swtpm (or set the QEMU backend option machine.swtpmBinary)' });
  }
  await writeFile(files.swtpmPid, `${pid}\n`);
  const deadline = Date.now() + timeoutMs;
  let exit: string | null = null;
  void failed.then((reason) => (exit = reason));
  while (!(await stat(files.tpmSocket).then(() => true, () => false))) {
    if (exit !== null || Date.now() > deadline) {
      await endSwtpm(files);
      const log = (await readFile(files.swtpmLog, 'utf8').catch(() => '')).trim().split('\n').slice(-2).join(' ');
      throw new HypervisorError('HV_FAILED', `swtpm did not start (${exit ?? `no socket after ${timeoutMs} ms`})${log ? `: ${log}` : ''}`);
    }
    await sleep(5);
  }
  return pid;
}

/** The PID of the VM's live swtpm, or null. */
export async function findSwtpm(files: MachineFiles): Promise<number | null> {
  const pid = Number.parseInt(await readFile(files.swtpmPid, 'utf8').catch(() => ''), 10);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return (await isSwtpmOf(pid, files)) ? pid : null;
}

async function isSwtpmOf(pid: number, files: MachineFiles): Promise<boolean> {
  try {
    const [cmdline, stat] = await Promise.all([readFile(`/proc/${pid}/cmdline`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]);
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    return cmdline.split('\0').some((arg) => arg.startsWith(`type=unixio,path=${files.tpmSocket},`));
  } catch {
    return false;
  }
}

/** Ends the VM's swtpm (if any) and waits until it is gone; removes its PID file and socket. */
export async function endSwtpm(files: MachineFiles, timeoutMs = 5_000): Promise<void> {
  const pid = await findSwtpm(files);
  if (pid !== null) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
    const deadline = Date.now() + timeoutMs;
    while ((await isSwtpmOf(pid, files)) && Date.now() < deadline) await sleep(10);
  }
  await rm(files.swtpmPid, { force: true });
  await rm(files.tpmSocket, { force: true });
}

/** How long ago the VM's swtpm was started (from its PID file), or null when it has none. */
export async function swtpmAgeMs(files: MachineFiles): Promise<number | null> {
  const info = await stat(files.swtpmPid).catch(() => null);
  return info ? Date.now() - info.mtimeMs : null;
}

/**
 * Stand-in PowerShell Direct and Copy-VMFile: the guest scripts simulated with the refusals a host
 * gives — a VM that is not running, no or wrong credentials, a guest not booted yet, the Guest
 * Service Interface off for Copy-VMFile — and a simulated guest file system (the fake backend's),
 * which is data in the stand-in's state and never the host's files.
 *
 * Error wording: the "PowerShell Direct to … failed: <reason>" wrapper is our script's; the
 * reasons quoted for wrong credentials and a guest still booting are as Hyper-V hosts are
 * commonly reported to say them (not checked on a host here).
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { guestPath, listGuestDir, newGuestFs, readGuestFile, runFakeCommand, writeGuestFile, type FakeGuestFs } from '../../fake/fake-guest.js';
import { HvkubeError } from '../../../domain/errors.js';
import { PsError } from './ps-errors.js';
import type { Bound } from './params.js';
import { lookupVm } from './ops-host.js';
import type { RunContext } from './ops-context.js';
import type { SimVm } from './state.js';
import { calls } from './strict.js';
import { isGuestReady, stateName, STATE } from './view.js';

const GSI = '6C09BB55-D683-4DA0-8931-C9BF705F6480';

function str(p: Bound, key: string): string {
  const v = p[key];
  return typeof v === 'string' ? v : '';
}

function guestFailure(message: string, errorId: 'GuestUnavailable' | 'GuestPathNotFound' | 'GuestFileTooLarge', category: string): PsError {
  return new PsError(message, category, errorId);
}

/** What New-HvkGuestSession (_lib.ps1) does: the checks, then New-PSSession -VMId -Credential. */
function openSession(ctx: RunContext, vm: SimVm, p: Bound): void {
  if (!/New-HvkGuestSession/.test(ctx.script.script.source) || !ctx.script.lib.cmdlets.some((c) => c.cmdlet === 'New-PSSession' && c.params.includes('Credential'))) {
    throw new Error(`stand-in: ${ctx.script.script.file} does not open a PowerShell Direct session with credentials`);
  }
  if (vm.state !== STATE.Running) {
    throw guestFailure(`The guest of "${vm.name}" cannot be reached: the virtual machine is ${stateName(vm)}.`, 'GuestUnavailable', 'ResourceUnavailable');
  }
  const user = str(p, 'GuestUser');
  if (user === '') {
    throw guestFailure(`No guest credentials for "${vm.name}": PowerShell Direct needs a user and password of the guest.`, 'GuestUnavailable', 'ResourceUnavailable');
  }
  if (!isGuestReady(vm, ctx.now())) {
    throw guestFailure(`PowerShell Direct to "${vm.name}" failed: An error has occurred which Windows PowerShell cannot handle. A remote session might have ended.`, 'GuestUnavailable', 'ResourceUnavailable');
  }
  if (`${user}:${str(p, 'GuestPassword')}` !== ctx.faults.guestCredential) {
    throw guestFailure(`PowerShell Direct to "${vm.name}" failed: The credential is invalid.`, 'GuestUnavailable', 'ResourceUnavailable');
  }
}

/** Runs `fn` on the VM's simulated guest; an HvkubeError of the simulation becomes the script's typed error. */
function inGuest<T>(ctx: RunContext, p: Bound, session: boolean, fn: (vm: SimVm, fs: FakeGuestFs) => T): T {
  return ctx.store.update((host) => {
    const vm = lookupVm(ctx, host, p);
    if (session) openSession(ctx, vm, p);
    vm.guest ??= newGuestFs(vm.name, new Date(ctx.now()));
    try {
      return fn(vm, vm.guest);
    } catch (e) {
      if (e instanceof HvkubeError && e.code === 'GUEST_PATH_NOT_FOUND') throw guestFailure(e.message, 'GuestPathNotFound', 'ObjectNotFound');
      if (e instanceof HvkubeError && e.code === 'GUEST_FILE_TOO_LARGE') throw guestFailure(e.message, 'GuestFileTooLarge', 'LimitsExceeded');
      if (e instanceof HvkubeError) throw new PsError(e.message, 'InvalidArgument', 'GuestInvalidPath');
      throw e;
    }
  });
}

export function guestPing(ctx: RunContext, p: Bound): unknown {
  return inGuest(ctx, p, true, (vm) => ({ os: 'mswindows', prettyName: 'hvkube stand-in guest', hostname: vm.name }));
}

export function guestExec(ctx: RunContext, p: Bound): unknown {
  if (!calls(ctx.script, 'Invoke-Command')) throw new Error('stand-in: guest-exec.ps1 does not call Invoke-Command');
  return inGuest(ctx, p, true, (vm, fs) => {
    const argv = Array.isArray(p.Argv) ? p.Argv.map(String) : [str(p, 'Argv')];
    const env = JSON.parse(str(p, 'EnvJson') || '{}') as Record<string, string>;
    const stdin = str(p, 'StdinBase64');
    const timeoutMs = typeof p.TimeoutMs === 'number' ? p.TimeoutMs : 60_000;
    const cwd = str(p, 'Cwd');
    const r = runFakeCommand(fs, vm.name, { argv, shell: p.Shell === true, ...(cwd ? { cwd } : {}), env, ...(stdin ? { stdin: Buffer.from(stdin, 'base64') } : {}), timeoutMs }, new Date(ctx.now()));
    const timedOut = r.sleepMs > timeoutMs;
    return {
      exitCode: timedOut ? null : r.exitCode,
      stdout: Buffer.from(r.stdout).toString('base64'),
      stderr: Buffer.from(r.stderr).toString('base64'),
      timedOut,
      truncated: false,
      durationMs: Math.min(r.sleepMs, timeoutMs),
    };
  });
}

export function guestFile(ctx: RunContext, p: Bound): unknown {
  const action = str(p, 'Action');
  const copyVmFile = action === 'write' && str(p, 'Method') === 'CopyVMFile';
  if (copyVmFile) {
    if (!calls(ctx.script, 'Copy-VMFile')) throw new Error('stand-in: guest-file.ps1 does not call Copy-VMFile');
    return inGuest(ctx, p, false, (vm, fs) => {
      if (vm.state !== STATE.Running) {
        throw new PsError(`Copy a file into of "${vm.name}" failed. The operation cannot be performed while the object is in its current state (${stateName(vm)}).`, 'InvalidOperation', 'InvalidState');
      }
      const on = ctx.faults.guestServiceInterface.includes('*') || ctx.faults.guestServiceInterface.includes(vm.name);
      if (!on || !ctx.script.script.source.includes(GSI)) {
        throw guestFailure(`Copy-VMFile needs the Guest Service Interface of "${vm.name}", which is disabled.`, 'GuestUnavailable', 'ResourceUnavailable');
      }
      const data = readFileSync(str(p, 'HostPath'));
      writeGuestFile(fs, vm.name, guestPath(vm.name, str(p, 'GuestPath')), data, new Date(ctx.now()));
      return { size: data.length };
    });
  }
  if (!calls(ctx.script, action === 'list' ? 'Invoke-Command' : 'Copy-Item')) throw new Error(`stand-in: guest-file.ps1 does not make the ${action} call`);
  return inGuest(ctx, p, true, (vm, fs) => {
    const target = guestPath(vm.name, str(p, 'GuestPath'));
    if (action === 'list') return { entries: listGuestDir(fs, vm.name, target) };
    if (action === 'read') {
      const max = typeof p.MaxBytes === 'number' ? p.MaxBytes : 104_857_600;
      const data = readGuestFile(fs, vm.name, target, max);
      writeFileSync(str(p, 'HostPath'), data);
      return { size: data.length };
    }
    const data = readFileSync(str(p, 'HostPath'));
    writeGuestFile(fs, vm.name, target, data, new Date(ctx.now()));
    return { size: data.length };
  });
}

export function guestClipboard(ctx: RunContext, p: Bound): unknown {
  return inGuest(ctx, p, true, (_vm, fs) => {
    if (str(p, 'Action') === 'set') {
      fs.clipboard = str(p, 'Text');
      return { ok: true };
    }
    return { text: fs.clipboard };
  });
}

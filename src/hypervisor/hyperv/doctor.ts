/**
 * Host checks for `hvkube doctor` on a Hyper-V host: each says what was found and, when it is
 * not right, what to do.
 * @module
 */
import { isRecord, int, optionalString } from './normalise.js';
import type { ScriptRunner } from './powershell-session.js';

export interface DoctorCheck {
  check: string;
  ok: boolean;
  detail: string;
  /** What to do when `ok` is false; null when nothing is needed. */
  fix: string | null;
}

export interface DoctorOptions {
  switchName?: string | null;
  vmDirectory?: string;
  /** Default 4096. */
  minFreeMemoryMb?: number;
  /** Default 20480. */
  minFreeDiskMb?: number;
  /** Round trips slower than this fail the check. Default 250 ms. */
  maxRoundTripMs?: number;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function measureRoundTrip(session: ScriptRunner, samples: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await session.call('ping', { Echo: 'doctor' });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

export async function hypervDoctor(session: ScriptRunner, options: DoctorOptions = {}): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  try {
    // The first call also starts the process: its time is start-up, not round trip.
    await session.call('ping', { Echo: 'doctor' });
  } catch (e) {
    return [
      {
        check: 'powershell',
        ok: false,
        detail: `PowerShell session did not start: ${describe(e)}`,
        fix: 'check that powershell.exe runs for this account (or set HVKUBE_POWERSHELL), then run doctor again',
      },
    ];
  }
  checks.push({ check: 'powershell', ok: true, detail: 'PowerShell session started', fix: null });

  let facts: Record<string, unknown>;
  try {
    const result = await session.call('doctor', {
      ...(options.switchName ? { SwitchName: options.switchName } : {}),
      ...(options.vmDirectory ? { VmDirectory: options.vmDirectory } : {}),
    });
    facts = isRecord(result) ? result : {};
  } catch (e) {
    checks.push({ check: 'host facts', ok: false, detail: describe(e), fix: 'run the doctor elevated to see more' });
    return checks;
  }

  // Win32_OperatingSystem.ProductType: 1 workstation; 2 domain controller and 3 server use Server Manager features.
  const server = facts.productType === 2 || facts.productType === 3;
  const service = optionalString(facts.vmmsService);
  checks.push({
    check: 'hyperv-enabled',
    ok: service === 'Running',
    detail: service === null ? 'the Hyper-V Virtual Machine Management service (vmms) is not installed' : `vmms service is ${service}`,
    fix:
      service === 'Running'
        ? null
        : server
          ? 'enable Hyper-V: Install-WindowsFeature -Name Hyper-V -IncludeManagementTools -Restart; on Azure use a size with nested virtualization'
          : 'enable Hyper-V: Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V-All (then reboot); on Azure use a size with nested virtualization',
  });

  const module = facts.hypervModule === true;
  checks.push({
    check: 'hyperv-module',
    ok: module,
    detail: module ? 'Hyper-V PowerShell module available' : 'Hyper-V PowerShell module missing',
    fix: module
      ? null
      : server
        ? 'Install-WindowsFeature -Name Hyper-V-PowerShell'
        : 'Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V-Management-PowerShell',
  });

  const elevated = facts.elevated === true;
  const hvAdmin = facts.hypervAdministrators === true;
  checks.push({
    check: 'rights',
    ok: elevated || hvAdmin,
    detail: elevated ? 'process is elevated' : hvAdmin ? 'account is in Hyper-V Administrators' : 'neither elevated nor in Hyper-V Administrators',
    fix: elevated || hvAdmin ? null : 'run elevated, or: Add-LocalGroupMember -SID S-1-5-32-578 -Member <account> (then sign in again)',
  });

  if (options.switchName) {
    const found = facts.switchFound === true;
    const error = optionalString(facts.switchError);
    checks.push({
      check: 'switch',
      ok: found,
      detail: found ? `virtual switch "${options.switchName}" exists` : (error ?? `no virtual switch named "${options.switchName}"`),
      fix: found ? null : `create it (New-VMSwitch -Name "${options.switchName}" -SwitchType Internal, plus NAT) or set switchName in the config`,
    });
  }

  const minMem = options.minFreeMemoryMb ?? 4096;
  const freeMemMb = Math.floor(int(facts.freePhysicalMemoryKB) / 1024);
  checks.push({
    check: 'free-memory',
    ok: freeMemMb >= minMem,
    detail: `${freeMemMb} MB free of ${Math.floor(int(facts.totalMemoryKB) / 1024)} MB`,
    fix: freeMemMb >= minMem ? null : `free at least ${minMem} MB: save or remove running VMs, or lower pool sizes`,
  });

  const minDisk = options.minFreeDiskMb ?? 20480;
  const freeDisk = typeof facts.freeDiskBytes === 'number' ? Math.floor(facts.freeDiskBytes / (1024 * 1024)) : null;
  checks.push({
    check: 'free-disk',
    ok: freeDisk !== null && freeDisk >= minDisk,
    detail: freeDisk === null ? 'could not read free disk space' : `${freeDisk} MB free where VM files go`,
    fix:
      freeDisk !== null && freeDisk >= minDisk
        ? null
        : `keep at least ${minDisk} MB free: every saved VM holds a memory image as large as its RAM`,
  });

  const maxMs = options.maxRoundTripMs ?? 250;
  const rtt = await measureRoundTrip(session, 5);
  checks.push({
    check: 'round-trip',
    ok: rtt <= maxMs,
    detail: `session round trip ${rtt.toFixed(1)} ms (median of 5)`,
    fix: rtt <= maxMs ? null : 'the host is overloaded or antivirus scans every PowerShell call; exclude the scripts folder',
  });
  return checks;
}

/**
 * The fixed catalogue of PowerShell operation scripts and the parameters each one takes.
 *
 * A request names one of these scripts; nothing else can be run. The name is checked twice: by
 * type (`ScriptName`) at compile time and against `SCRIPT_NAMES` at run time (and once more by the
 * host loop inside PowerShell). Parameters are plain data that the host loop splats into the
 * script's `param()` block; they never become script text.
 * @module
 */

/** A parameter value that survives JSON → ConvertFrom-Json → splatting unchanged. */
export type ScriptParamValue = string | number | boolean | readonly string[] | readonly number[];

/**
 * A VM as the scripts find it: by name, and by the id hvkube last saw for that name when it has
 * one (`Get-VM -Id` finds one VM without listing every VM on the host; the name must still match).
 */
export interface VmRef {
  Name: string;
  Id?: string;
}

/** Each script's parameters, spelled exactly as in its `param()` block. */
export interface ScriptParams {
  ping: { Echo?: string };
  'host-info': { VmDirectory?: string };
  doctor: { SwitchName?: string; VmDirectory?: string };
  'list-vms': { Prefix: string };
  'get-vm': VmRef;
  'new-differencing-disk': { ParentPath: string; Path: string };
  'new-vm': {
    Name: string;
    VhdPath: string;
    Path: string;
    MemoryStartupBytes: number;
    ProcessorCount: number;
    DynamicMemory: boolean;
    MemoryMinimumBytes: number;
    MemoryMaximumBytes: number;
    SwitchName?: string;
    AutomaticStopAction: 'Save' | 'TurnOff' | 'ShutDown';
    SecureBootTemplate: string;
  };
  'set-enhanced-session': VmRef & { Enabled: boolean };
  'add-gpu-partition': VmRef;
  'start-vm': VmRef;
  'save-vm': VmRef;
  'suspend-vm': VmRef;
  'resume-vm': VmRef;
  'stop-vm': VmRef & { TurnOff: boolean };
  'remove-vm': VmRef & { MergeTimeoutSeconds?: number };
  'checkpoint-vm': VmRef & { SnapshotName: string };
  'restore-checkpoint': VmRef & { SnapshotName: string };
  'get-heartbeat': VmRef;
  'get-guest-address': VmRef;
  'get-screenshot': VmRef & { Width?: number };
  'type-text': VmRef & { Text: string };
  /** `Mode` press (default) types each chord; down presses every code and keeps it down; up releases them. */
  'press-keys': VmRef & { Chords: readonly string[]; Mode?: 'press' | 'down' | 'up' };
  'send-mouse': VmRef & {
    Action: 'move' | 'click' | 'double' | 'triple' | 'down' | 'up' | 'scroll';
    X?: number;
    Y?: number;
    Button?: number;
    /** The wheel delta as Msvm_SyntheticMouse.SetScrollPosition takes it (scrollPositionDelta). */
    WheelDelta?: number;
    /** Pause between the move and a click (0..1000 ms). */
    SettleMilliseconds?: number;
  };
  'guest-ping': VmRef & GuestCredentialParams;
  'guest-exec': VmRef &
    GuestCredentialParams & {
      Argv: readonly string[];
      Shell?: boolean;
      Cwd?: string;
      /** The added environment as a JSON object (one string parameter, parsed inside the guest). */
      EnvJson?: string;
      StdinBase64?: string;
      TimeoutMs: number;
      MaxOutputBytes?: number;
    };
  'guest-file': VmRef &
    Partial<GuestCredentialParams> & {
      Action: 'read' | 'write' | 'list';
      GuestPath: string;
      /** The host-side file a read lands in or a write comes from. */
      HostPath?: string;
      Method?: 'Session' | 'CopyVMFile';
      MaxBytes?: number;
    };
  'guest-clipboard': VmRef & GuestCredentialParams & { Action: 'get' | 'set'; Text?: string };
}

/** The template's guest account for PowerShell Direct: data of the request, never script text. */
export interface GuestCredentialParams {
  GuestUser: string;
  GuestPassword: string;
}

export type ScriptName = keyof ScriptParams;

export const SCRIPT_NAMES = [
  'ping',
  'host-info',
  'doctor',
  'list-vms',
  'get-vm',
  'new-differencing-disk',
  'new-vm',
  'set-enhanced-session',
  'add-gpu-partition',
  'start-vm',
  'save-vm',
  'suspend-vm',
  'resume-vm',
  'stop-vm',
  'remove-vm',
  'checkpoint-vm',
  'restore-checkpoint',
  'get-heartbeat',
  'get-guest-address',
  'get-screenshot',
  'type-text',
  'press-keys',
  'send-mouse',
  'guest-ping',
  'guest-exec',
  'guest-file',
  'guest-clipboard',
] as const satisfies readonly ScriptName[];

// Compile-time proof that the runtime list names every script of the type (and no more).
type Missing = Exclude<ScriptName, (typeof SCRIPT_NAMES)[number]>;
const _allListed: Missing extends never ? true : Missing = true;
void _allListed;

const ALLOWED: ReadonlySet<string> = new Set(SCRIPT_NAMES);

export function isScriptName(value: unknown): value is ScriptName {
  return typeof value === 'string' && ALLOWED.has(value);
}

/** Scripts that may run for minutes (graceful shutdown waits up to 5 minutes for the guest). */
export const SLOW_SCRIPTS: ReadonlySet<ScriptName> = new Set<ScriptName>([
  'start-vm',
  'save-vm',
  'stop-vm',
  'remove-vm',
  'checkpoint-vm',
  'restore-checkpoint',
  'new-vm',
  'new-differencing-disk',
]);

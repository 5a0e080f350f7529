/**
 * PowerShell error records → typed `HypervisorError`s. The orchestrator reacts to the code, so
 * the mapping leans on stable fields (category, the id before the first comma of the fully
 * qualified error id, HRESULT) and uses message text only where Hyper-V offers nothing better.
 * @module
 */
import { HypervisorError, type HypervisorErrorCode } from '../../domain/errors.js';
import type { PsErrorRecord } from './protocol.js';

/** ERROR_VID_SAVED_STATE_INCOMPATIBLE, as the unsigned and the signed 32-bit HRESULT. */
const SAVED_STATE_INCOMPATIBLE = 0xc0370029;
const SAVED_STATE_INCOMPATIBLE_SIGNED = SAVED_STATE_INCOMPATIBLE - 0x1_0000_0000;

const HINTS: Record<HypervisorErrorCode, string> = {
  HV_NOT_FOUND: 'check the name with `hvkube vm list`; the VM or file may have been removed outside hvkube',
  HV_INVALID_STATE: 're-read the VM state and retry the operation from a state that allows it',
  HV_SAVED_STATE_INCOMPATIBLE:
    'the saved memory image no longer fits this host (hypervisor update or different CPU): discard it (Remove-VMSavedState) and cold boot',
  HV_TIMEOUT: 'the PowerShell call took too long and its session was restarted; the host may still be finishing the operation',
  HV_UNAVAILABLE: 'check that PowerShell starts on the host (`hvkube doctor`)',
  HV_ACCESS_DENIED: 'run hvkube elevated, or add its account to the "Hyper-V Administrators" group',
  HV_MODULE_MISSING: 'enable Hyper-V and its PowerShell module: Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V-All',
  HV_FAILED: 'see the message; `hvkube doctor` checks the host',
};

export function hvError(code: HypervisorErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): HypervisorError {
  return new HypervisorError(code, message, { hint: HINTS[code], details, cause });
}

/** The code for one PowerShell error record. */
export function classifyPsError(record: PsErrorRecord): HypervisorErrorCode {
  const message = record.message ?? '';
  const category = record.category ?? '';
  const fqid = record.fqid ?? '';
  const errorId = fqid.split(',')[0] ?? '';
  const type = record.type ?? '';

  if (
    record.hresult === SAVED_STATE_INCOMPATIBLE_SIGNED ||
    record.hresult === SAVED_STATE_INCOMPATIBLE ||
    /0xC0370029/i.test(message) ||
    /saved state because of hypervisor incompatibility/i.test(message)
  ) {
    return 'HV_SAVED_STATE_INCOMPATIBLE';
  }
  if (
    errorId === 'CommandNotFoundException' && /Hyper-V\\|-VM|-VHD|-VMHost/i.test(message)
  ) {
    return 'HV_MODULE_MISSING';
  }
  if (errorId === 'Modules_ModuleNotFound' || /module 'Hyper-V' was not loaded|Hyper-V module/i.test(message)) {
    return 'HV_MODULE_MISSING';
  }
  if (
    category === 'PermissionDenied' ||
    errorId === 'AccessDenied' ||
    errorId === 'UnauthorizedAccess' ||
    type === 'System.UnauthorizedAccessException' ||
    /You do not have the required permission|Access is denied/i.test(message)
  ) {
    return 'HV_ACCESS_DENIED';
  }
  if (category === 'ObjectNotFound' || errorId === 'ObjectNotFound' || /unable to find a virtual machine/i.test(message)) {
    return 'HV_NOT_FOUND';
  }
  if (category === 'OperationTimeout' || errorId === 'Timeout') return 'HV_TIMEOUT';
  if (
    errorId === 'InvalidState' ||
    errorId === 'AlreadyExists' ||
    category === 'InvalidOperation' ||
    category === 'ResourceExists' ||
    /\b32775\b|in its current state/i.test(message)
  ) {
    return 'HV_INVALID_STATE';
  }
  return 'HV_FAILED';
}

/** A typed error for one failed script call. */
export function mapPsError(record: PsErrorRecord, context: { script: string; vm?: string }): HypervisorError {
  const code = classifyPsError(record);
  const message = (record.message ?? 'PowerShell reported an error without a message').trim();
  return hvError(code, `${context.script}: ${message}`, {
    script: context.script,
    ...(context.vm === undefined ? {} : { vm: context.vm }),
    category: record.category ?? null,
    fqid: record.fqid ?? null,
  });
}

/**
 * Error records as Windows PowerShell reports them: exception type, message, category and fully
 * qualified error id. The texts follow what Hyper-V and the PowerShell binder print, and what
 * our scripts' own helpers (`_lib.ps1`) throw.
 * @module
 */

export class PsError extends Error {
  readonly type: string;
  readonly category: string;
  readonly fqid: string;
  readonly hresult: number;

  constructor(message: string, category: string, fqid: string, type = 'System.InvalidOperationException', hresult = -2146233079) {
    super(message);
    this.type = type;
    this.category = category;
    this.fqid = fqid;
    this.hresult = hresult;
  }

  toRecord(): { type: string; message: string; category: string; fqid: string; hresult: number } {
    return { type: this.type, message: this.message, category: this.category, fqid: this.fqid, hresult: this.hresult };
  }
}

const VIRTUALIZATION_EXCEPTION = 'Microsoft.HyperV.PowerShell.VirtualizationException';
const GENERIC_HRESULT = -2146233088;

/** `Get-HvkVm` in _lib.ps1, worded like Hyper-V's own not-found error. */
export function vmNotFound(name: string): PsError {
  return new PsError(`Hyper-V was unable to find a virtual machine with name "${name}".`, 'ObjectNotFound', 'ObjectNotFound');
}

/** `Assert-HvkState` in _lib.ps1. */
export function invalidState(operation: string, name: string, state: string): PsError {
  return new PsError(
    `${operation} of "${name}" failed. The operation cannot be performed while the object is in its current state (${state}).`,
    'InvalidOperation',
    'InvalidState',
  );
}

/** A Hyper-V cmdlet refusing the VM's state (the Multipass-logged record). */
export function cmdletInvalidState(cmdlet: string, name: string): PsError {
  return new PsError(
    `Modifying the properties of '${name}' failed. The operation cannot be performed while the object is in its current state.`,
    'InvalidOperation',
    `InvalidState,Microsoft.HyperV.PowerShell.Commands.${cmdlet}`,
    VIRTUALIZATION_EXCEPTION,
    GENERIC_HRESULT,
  );
}

export function hyperVFailure(message: string, category: string, errorId: string, cmdlet: string): PsError {
  return new PsError(message, category, `${errorId},Microsoft.HyperV.PowerShell.Commands.${cmdlet}`, VIRTUALIZATION_EXCEPTION, GENERIC_HRESULT);
}

export function savedStateIncompatible(name: string, id: string): PsError {
  return hyperVFailure(
    `'${name}' failed to start. (Virtual machine ID ${id.toUpperCase()})\r\n\r\nCannot restore this virtual machine to the saved state because of hypervisor incompatibility. Delete the saved state data and then try to start the virtual machine. (0xC0370029).`,
    'NotSpecified',
    'OpFailed',
    'StartVM',
  );
}

export function commandNotFound(command: string): PsError {
  return new PsError(
    `The term '${command}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.`,
    'ObjectNotFound',
    'CommandNotFoundException',
    'System.Management.Automation.CommandNotFoundException',
    -2146233087,
  );
}

export function accessDenied(host: string, cmdlet: string): PsError {
  return new PsError(
    `You do not have the required permission to complete this task. Contact the administrator of the authorization policy for the computer '${host}'.`,
    'PermissionDenied',
    `AccessDenied,Microsoft.HyperV.PowerShell.Commands.${cmdlet}`,
    VIRTUALIZATION_EXCEPTION,
    GENERIC_HRESULT,
  );
}

/** `Assert-HvkWmiResult` in _lib.ps1. */
export function wmiResult(method: string, code: number): PsError {
  const [id, category] =
    code === 32769 ? ['AccessDenied', 'PermissionDenied'] : code === 32772 ? ['Timeout', 'OperationTimeout'] : code === 32775 ? ['InvalidState', 'InvalidOperation'] : [`WmiError${code}`, 'InvalidResult'];
  return new PsError(`${method} returned ${code}.`, category, id);
}

export function binderError(message: string, category: string, errorId: string, script: string): PsError {
  return new PsError(message, category, `${errorId},${script}`, 'System.Management.Automation.ParameterBindingException', -2146233087);
}

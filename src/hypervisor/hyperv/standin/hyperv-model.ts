/**
 * The stand-in's model of Hyper-V: every cmdlet, parameter and WMI method our scripts call, with
 * argument names, types and documented return codes, written from Microsoft's documentation.
 * Scripts are checked against this table before the stand-in simulates them (see strict.ts), so a
 * parameter or WMI argument that Hyper-V does not have fails here as it would on a host.
 *
 * Sources, cited per row by key:
 * - PSDOCS: MicrosoftDocs/windows-powershell-docs, docset/winserver2022-ps/hyper-v/<Cmdlet>.md
 *   (the Windows Server 2022 Hyper-V module reference; same text on learn.microsoft.com).
 * - WMI: learn.microsoft.com/windows/win32/hyperv_v2/<method>-<class> (MicrosoftDocs/win32,
 *   desktop-src/HyperV_v2/); each page lists the return values quoted in RETURN_CODES.
 * - CIMJOB: learn.microsoft.com/windows/win32/hyperv_v2/msvm-concretejob (JobState, ErrorCode).
 * - MINIKUBE: kubernetes/minikube#6973 (New-VM's "not properly aligned" text for an odd MB count)
 *   and microsoft/hcsshim#589 ("Hyper-V only supports 2MB aligned memory sizes").
 * - REMOVEVM: PSDOCS Remove-VM.md: "If the virtual machine has any snapshots, these are deleted and
 *   merged into the virtual hard disk files after the virtual machine is deleted."
 * - PSCORE: learn.microsoft.com/powershell/module/microsoft.powershell.core/<cmdlet>?view=powershell-5.1
 *   (Invoke-Command and New-PSSession have VMName and VMId parameter sets, PowerShell Direct, where
 *   -Credential is mandatory), and microsoft.powershell.management/copy-item (-ToSession,
 *   -FromSession, -LiteralPath).
 * - COPYVMFILE: PSDOCS Copy-VMFile.md: sets Name and VMObject, -SourcePath -DestinationPath
 *   -FileSource <CopyFileSourceType> (Host only), -CreateFullPath, -Force; it copies host → guest
 *   only and needs the Guest Service Interface integration service. The destination "can contain
 *   environment variables, which are expanded by the guest" (Msvm_CopyFileToGuestSettingData).
 * - GPUP: public reports of Checkpoint-VM on a VM with a GPU partition adapter (review F2:
 *   "cannot be performed on the virtual machine because it is assigned one or more GPUP partitions").
 * @module
 */

/** Parameters every cmdlet accepts (about_CommonParameters, plus ShouldProcess's two). */
export const COMMON_PARAMETERS: readonly string[] = [
  'ErrorAction',
  'ErrorVariable',
  'WarningAction',
  'WarningVariable',
  'InformationAction',
  'InformationVariable',
  'OutVariable',
  'OutBuffer',
  'PipelineVariable',
  'Verbose',
  'Debug',
  'WhatIf',
  'Confirm',
];

export interface CmdletModel {
  /** Named parameters (besides the common ones), as the docs spell them. */
  parameters: readonly string[];
  source: string;
}

/** Hyper-V module cmdlets, module-qualified as the scripts call them (`Hyper-V\Name`). */
export const CMDLETS: Readonly<Record<string, CmdletModel>> = {
  'Get-VM': { parameters: ['Name', 'Id', 'ClusterObject', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Get-VM.md (sets Name, Id, ClusterObject)' },
  'Get-VMSnapshot': { parameters: ['VM', 'VMName', 'Name', 'Id', 'ParentOf', 'ChildOf', 'SnapshotType', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Get-VMSnapshot.md' },
  'New-VM': {
    parameters: ['Name', 'MemoryStartupBytes', 'BootDevice', 'SwitchName', 'NewVHDPath', 'NewVHDSizeBytes', 'VHDPath', 'NoVHD', 'Path', 'Version', 'Prerelease', 'Experimental', 'Generation', 'Force', 'AsJob', 'GuestStateIsolationType', 'ComputerName', 'CimSession', 'Credential'],
    source: 'PSDOCS New-VM.md (-Generation <Int16>, -VHDPath, -Path, -BootDevice VHD, -MemoryStartupBytes <Int64>)',
  },
  'Set-VM': {
    parameters: [
      'VM', 'Name', 'GuestControlledCacheTypes', 'LowMemoryMappedIoSpace', 'HighMemoryMappedIoSpace', 'HighMemoryMappedIoBaseAddress',
      'BatteryPassthroughEnabled', 'ProcessorCount', 'DynamicMemory', 'StaticMemory', 'MemoryMinimumBytes', 'MemoryMaximumBytes', 'MemoryStartupBytes',
      'AutomaticStartAction', 'AutomaticStopAction', 'AutomaticStartDelay', 'AutomaticCriticalErrorAction', 'AutomaticCriticalErrorActionTimeout',
      'AutomaticCheckpointsEnabled', 'LockOnDisconnect', 'Notes', 'NewVMName', 'SnapshotFileLocation', 'SmartPagingFilePath', 'CheckpointType',
      'EnhancedSessionTransportType', 'AllowUnverifiedPaths', 'Passthru', 'ComputerName', 'CimSession', 'Credential',
    ],
    source: 'PSDOCS Set-VM.md',
  },
  'Set-VMMemory': {
    parameters: ['VM', 'VMName', 'DynamicMemoryEnabled', 'MinimumBytes', 'StartupBytes', 'MaximumBytes', 'MemoryWeight', 'Buffer', 'Priority', 'MaximumAmountPerNumaNodeBytes', 'ResourcePoolName', 'Passthru', 'ComputerName', 'CimSession', 'Credential'],
    source: 'PSDOCS Set-VMMemory.md',
  },
  'Set-VMFirmware': {
    parameters: ['VM', 'VMName', 'VMFirmware', 'BootOrder', 'FirstBootDevice', 'EnableSecureBoot', 'SecureBootTemplate', 'SecureBootTemplateId', 'PreferredNetworkBootProtocol', 'ConsoleMode', 'PauseAfterBootFailure', 'Passthru', 'ComputerName', 'CimSession', 'Credential'],
    source: 'PSDOCS Set-VMFirmware.md (-EnableSecureBoot <OnOffState>, -SecureBootTemplate <String>)',
  },
  'Get-VMIntegrationService': { parameters: ['VM', 'VMName', 'Name', 'VMSnapshot', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Get-VMIntegrationService.md' },
  'Enable-VMIntegrationService': { parameters: ['VMIntegrationService', 'VM', 'VMName', 'Name', 'Passthru', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Enable-VMIntegrationService.md (VMIntegrationService by pipeline)' },
  'Start-VM': { parameters: ['VM', 'Name', 'AsJob', 'Passthru', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Start-VM.md' },
  'Save-VM': { parameters: ['VM', 'Name', 'AsJob', 'Passthru', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Save-VM.md' },
  'Suspend-VM': { parameters: ['VM', 'Name', 'AsJob', 'Passthru', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Suspend-VM.md' },
  'Resume-VM': { parameters: ['VM', 'Name', 'AsJob', 'Passthru', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Resume-VM.md' },
  'Stop-VM': { parameters: ['VM', 'Name', 'Save', 'TurnOff', 'Force', 'AsJob', 'Passthru', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Stop-VM.md' },
  'Remove-VMSavedState': { parameters: ['VM', 'VMName', 'VMSnapshot', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Remove-VMSavedState.md' },
  'Checkpoint-VM': { parameters: ['VM', 'Name', 'SnapshotName', 'AsJob', 'Passthru', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Checkpoint-VM.md; refused with a GPU partition adapter (GPUP)' },
  'Restore-VMSnapshot': { parameters: ['VMSnapshot', 'VM', 'VMName', 'Name', 'AsJob', 'Passthru', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Restore-VMSnapshot.md' },
  'Remove-VMSnapshot': { parameters: ['VMSnapshot', 'VM', 'VMName', 'Name', 'IncludeAllChildSnapshots', 'AsJob', 'Passthru', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Remove-VMSnapshot.md (deleting a checkpoint merges its .avhdx into the parent)' },
  'Remove-VM': { parameters: ['VM', 'Name', 'Force', 'AsJob', 'Passthru', 'ComputerName', 'CimSession', 'Credential'], source: 'REMOVEVM' },
  'Get-VMHardDiskDrive': { parameters: ['VM', 'VMName', 'VMSnapshot', 'ControllerType', 'ControllerNumber', 'ControllerLocation', 'VMDriveController', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Get-VMHardDiskDrive.md' },
  'Get-VHD': { parameters: ['Path', 'DiskNumber', 'VMId', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Get-VHD.md (-Path takes no wildcards)' },
  'New-VHD': { parameters: ['Path', 'ParentPath', 'Differencing', 'SizeBytes', 'Fixed', 'Dynamic', 'BlockSizeBytes', 'LogicalSectorSizeBytes', 'PhysicalSectorSizeBytes', 'SourceDisk', 'AsJob', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS New-VHD.md (Differencing set: -Path -ParentPath -Differencing)' },
  'Get-VMNetworkAdapter': { parameters: ['VM', 'VMName', 'Name', 'All', 'ManagementOS', 'SwitchName', 'VMSnapshot', 'IsLegacy', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Get-VMNetworkAdapter.md' },
  'Get-VMGpuPartitionAdapter': { parameters: ['VM', 'VMName', 'AdapterId', 'Passthru', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Get-VMGpuPartitionAdapter.md' },
  'Add-VMGpuPartitionAdapter': { parameters: ['VM', 'VMName', 'InstancePath', 'MinPartitionVRAM', 'MaxPartitionVRAM', 'OptimalPartitionVRAM', 'MinPartitionEncode', 'MaxPartitionEncode', 'OptimalPartitionEncode', 'MinPartitionDecode', 'MaxPartitionDecode', 'OptimalPartitionDecode', 'MinPartitionCompute', 'MaxPartitionCompute', 'OptimalPartitionCompute', 'Passthru', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Add-VMGpuPartitionAdapter.md' },
  'Get-VMHost': { parameters: ['ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Get-VMHost.md' },
  'Copy-VMFile': {
    parameters: ['Name', 'VM', 'SourcePath', 'DestinationPath', 'FileSource', 'CreateFullPath', 'Force', 'AsJob', 'ComputerName', 'CimSession', 'Credential'],
    source: 'COPYVMFILE',
  },
  // PowerShell Direct and file copies through its session (Microsoft.PowerShell.Core / .Management).
  'New-PSSession': {
    parameters: ['VMName', 'VMId', 'Credential', 'ConfigurationName', 'Name', 'ThrottleLimit', 'ComputerName', 'Session', 'Port', 'UseSSL', 'ApplicationName', 'SessionOption', 'Authentication', 'CertificateThumbprint', 'EnableNetworkAccess', 'ContainerId', 'RunAsAdministrator'],
    source: 'PSCORE New-PSSession (VMName/VMId sets: -Credential mandatory)',
  },
  'Invoke-Command': {
    parameters: ['Session', 'VMName', 'VMId', 'Credential', 'ConfigurationName', 'ScriptBlock', 'FilePath', 'ArgumentList', 'InputObject', 'NoNewScope', 'ThrottleLimit', 'AsJob', 'HideComputerName', 'JobName', 'ComputerName', 'Port', 'UseSSL', 'ApplicationName', 'InDisconnectedSession', 'SessionName', 'SessionOption', 'Authentication', 'EnableNetworkAccess', 'CertificateThumbprint', 'ContainerId', 'RunAsAdministrator'],
    source: 'PSCORE Invoke-Command (Session, VMName and VMId sets)',
  },
  'Remove-PSSession': { parameters: ['Session', 'Id', 'InstanceId', 'Name', 'ComputerName', 'VMName', 'VMId', 'ContainerId'], source: 'PSCORE Remove-PSSession' },
  'Copy-Item': {
    parameters: ['Path', 'LiteralPath', 'Destination', 'Container', 'Force', 'Filter', 'Include', 'Exclude', 'Recurse', 'PassThru', 'Credential', 'FromSession', 'ToSession'],
    source: 'PSCORE Copy-Item (-ToSession/-FromSession <PSSession>, PowerShell 5.0+)',
  },
  'Get-VMSwitch': { parameters: ['Name', 'Id', 'ResourcePoolName', 'SwitchType', 'ComputerName', 'CimSession', 'Credential'], source: 'PSDOCS Get-VMSwitch.md' },
};

export type WmiType = 'sint32' | 'uint32' | 'uint16' | 'boolean' | 'string' | 'ref';

export interface WmiMethodModel {
  className: string;
  /** In-parameters by name, with their MOF type. */
  in: Readonly<Record<string, WmiType>>;
  /** Out-parameters besides the return value. */
  out: readonly string[];
  returnCodes: readonly number[];
  source: string;
}

/** The return values every Msvm method page lists (0 success, 4096 job started, 32768..32778 failures). */
export const RETURN_CODES: readonly number[] = [0, 4096, 32768, 32769, 32770, 32771, 32772, 32773, 32774, 32775, 32776, 32777, 32778];
export const JOB_STARTED = 4096;

// A 4096 answer's Msvm_ConcreteJob (CIMJOB) runs while JobState < 7 and is done at 7 (Completed);
// 8 Terminated, 9 Killed and 10 Exception ended badly. _lib.ps1's Invoke-HvkWmiMethod waits on it.

const WMI_PAGE = 'https://learn.microsoft.com/windows/win32/hyperv_v2/';

/** WMI methods by name; each name belongs to one class among those we call. */
export const WMI_METHODS: Readonly<Record<string, WmiMethodModel>> = {
  GetVirtualSystemThumbnailImage: {
    className: 'Msvm_VirtualSystemManagementService',
    in: { TargetSystem: 'ref', WidthPixels: 'uint16', HeightPixels: 'uint16' },
    out: ['ImageData'],
    returnCodes: RETURN_CODES,
    source: `${WMI_PAGE}getvirtualsystemthumbnailimage-msvm-virtualsystemmanagementservice (ImageData uint8[], raw RGB 565)`,
  },
  TypeText: {
    className: 'Msvm_Keyboard',
    in: { asciiText: 'string' },
    out: [],
    returnCodes: [1, ...RETURN_CODES],
    source: `${WMI_PAGE}typetext-msvm-keyboard (1: non-translatable characters)`,
  },
  TypeKey: { className: 'Msvm_Keyboard', in: { keyCode: 'uint32' }, out: [], returnCodes: RETURN_CODES, source: `${WMI_PAGE}typekey-msvm-keyboard` },
  PressKey: { className: 'Msvm_Keyboard', in: { keyCode: 'uint32' }, out: [], returnCodes: RETURN_CODES, source: `${WMI_PAGE}presskey-msvm-keyboard` },
  ReleaseKey: { className: 'Msvm_Keyboard', in: { keyCode: 'uint32' }, out: [], returnCodes: RETURN_CODES, source: `${WMI_PAGE}releasekey-msvm-keyboard` },
  TypeCtrlAltDel: { className: 'Msvm_Keyboard', in: {}, out: [], returnCodes: RETURN_CODES, source: `${WMI_PAGE}typectrlaltdel-msvm-keyboard` },
  SetAbsolutePosition: {
    className: 'Msvm_SyntheticMouse',
    in: { horizontalPosition: 'sint32', verticalPosition: 'sint32' },
    out: [],
    returnCodes: RETURN_CODES,
    source: `${WMI_PAGE}setabsoluteposition-msvm-syntheticmouse (pixels)`,
  },
  ClickButton: { className: 'Msvm_SyntheticMouse', in: { buttonIndex: 'uint32' }, out: [], returnCodes: RETURN_CODES, source: `${WMI_PAGE}clickbutton-msvm-syntheticmouse (1-based)` },
  SetButtonState: {
    className: 'Msvm_SyntheticMouse',
    in: { buttonIndex: 'uint32', isDown: 'boolean' },
    out: [],
    returnCodes: RETURN_CODES,
    source: `${WMI_PAGE}setbuttonstate-msvm-syntheticmouse`,
  },
  SetScrollPosition: {
    className: 'Msvm_SyntheticMouse',
    in: { scrollPositionDelta: 'sint32' },
    out: [],
    returnCodes: RETURN_CODES,
    source: `${WMI_PAGE}setscrollposition-msvm-syntheticmouse ("always relative coordinate offsets"; sign and unit undocumented)`,
  },
};

/** PowerShell cast spellings that satisfy a MOF type. */
export const CASTS_FOR: Readonly<Record<WmiType, readonly string[]>> = {
  sint32: ['int', 'int32'],
  uint32: ['uint32'],
  uint16: ['uint16'],
  boolean: ['bool', 'boolean'],
  string: ['string'],
  ref: [],
};

/** Hyper-V allocates memory in 2 MB units (MINIKUBE). */
export const MEMORY_ALIGNMENT_BYTES = 2 * 1024 * 1024;

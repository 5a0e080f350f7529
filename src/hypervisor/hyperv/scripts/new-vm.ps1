# A Generation 2 VM on an existing (differencing) disk, configured for save/resume pools.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [Parameter(Mandatory = $true)][string]$VhdPath,
  [Parameter(Mandatory = $true)][string]$Path,
  [Parameter(Mandatory = $true)][int64]$MemoryStartupBytes,
  [Parameter(Mandatory = $true)][int64]$ProcessorCount,
  [bool]$DynamicMemory = $true,
  [int64]$MemoryMinimumBytes = 0,
  [int64]$MemoryMaximumBytes = 0,
  [string]$SwitchName = '',
  [ValidateSet('Save', 'TurnOff', 'ShutDown')][string]$AutomaticStopAction = 'Save',
  [string]$SecureBootTemplate = 'MicrosoftWindows'
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')

# Hyper-V allows duplicate names; hvkube addresses VMs by name, so refuse a second one.
if ($null -ne (Find-HvkVm -Name $Name)) {
  throw (New-HvkError -Message ('A virtual machine named "' + $Name + '" already exists.') -ErrorId 'AlreadyExists' -Category ResourceExists -Target $Name)
}

$newVm = @{
  Name               = $Name
  Generation         = 2
  MemoryStartupBytes = $MemoryStartupBytes
  VHDPath            = $VhdPath
  Path               = $Path
  BootDevice         = 'VHD'
  ErrorAction        = 'Stop'
}
if (-not [string]::IsNullOrEmpty($SwitchName)) { $newVm['SwitchName'] = $SwitchName }
$vm = Hyper-V\New-VM @newVm

$setVm = @{
  VM                   = $vm
  ProcessorCount       = $ProcessorCount
  AutomaticStartAction = 'Nothing'
  AutomaticStopAction  = $AutomaticStopAction
  CheckpointType       = 'Standard'
  ErrorAction          = 'Stop'
}
# Older hosts lack the parameter; newer ones take a checkpoint at every start unless it is off.
if ($null -ne (Get-Command -Name 'Hyper-V\Set-VM' -ParameterName 'AutomaticCheckpointsEnabled' -ErrorAction SilentlyContinue)) {
  $setVm['AutomaticCheckpointsEnabled'] = $false
}
Hyper-V\Set-VM @setVm

$memory = @{ VM = $vm; DynamicMemoryEnabled = $DynamicMemory; StartupBytes = $MemoryStartupBytes; ErrorAction = 'Stop' }
if ($DynamicMemory) {
  if ($MemoryMinimumBytes -gt 0) { $memory['MinimumBytes'] = $MemoryMinimumBytes }
  if ($MemoryMaximumBytes -gt 0) { $memory['MaximumBytes'] = $MemoryMaximumBytes }
}
Hyper-V\Set-VMMemory @memory

Hyper-V\Set-VMFirmware -VM $vm -EnableSecureBoot On -SecureBootTemplate $SecureBootTemplate -ErrorAction Stop

# Time sync keeps the guest clock right after a resume; matched by GUID, names are localized.
Hyper-V\Get-VMIntegrationService -VM $vm -ErrorAction Stop |
  Where-Object { $_.Id -match '2497F4DE-E9FA-4204-80E4-4B75C46419C0' } |
  Hyper-V\Enable-VMIntegrationService -ErrorAction Stop

$vm = Get-HvkVm -Name $Name
[ordered]@{ vm = (ConvertTo-HvkVmView -Vm $vm) }

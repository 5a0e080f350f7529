# A standard checkpoint: taken while running it holds memory, so restoring it yields Saved.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [Parameter(Mandatory = $true)][string]$SnapshotName
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name
if ([string]$vm.CheckpointType -ne 'Standard') {
  Hyper-V\Set-VM -VM $vm -CheckpointType Standard -ErrorAction Stop
}
Hyper-V\Checkpoint-VM -VM $vm -SnapshotName $SnapshotName -ErrorAction Stop
$vm = Get-HvkVm -Name $Name
[ordered]@{ vm = (ConvertTo-HvkVmView -Vm $vm) }

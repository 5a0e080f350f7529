# A standard checkpoint: taken while running it holds memory, so restoring it yields Saved.
# Hyper-V refuses checkpoints of a VM with a GPU partition adapter: for such a VM the name is kept
# in its notes instead, and restore-checkpoint.ps1 resets it to a fresh disk (then a cold boot).
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = '',
  [Parameter(Mandatory = $true)][string]$SnapshotName
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
if (@(Hyper-V\Get-VMGpuPartitionAdapter -VM $vm -ErrorAction Stop).Count -gt 0) {
  Hyper-V\Set-VM -VM $vm -Notes ($FreshDiskMarker + $SnapshotName) -ErrorAction Stop
} else {
  if ([string]$vm.CheckpointType -ne 'Standard') {
    Hyper-V\Set-VM -VM $vm -CheckpointType Standard -ErrorAction Stop
  }
  Hyper-V\Checkpoint-VM -VM $vm -SnapshotName $SnapshotName -ErrorAction Stop
}
$vm = Get-HvkVm -Name $Name -Id $Id
[ordered]@{ vm = (ConvertTo-HvkVmView -Vm $vm) }

# Applies a checkpoint and answers the resulting state: Saved for one taken while running
# (it holds memory), Off otherwise. A running VM is turned off first, like Hyper-V Manager does.
# A VM that cannot have checkpoints (GPU partition, see checkpoint-vm.ps1) is reset to a fresh
# differencing disk of the same parent instead, and answers Off.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = '',
  [Parameter(Mandatory = $true)][string]$SnapshotName
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
$snapshot = @(Hyper-V\Get-VMSnapshot -VM $vm -ErrorAction Stop | Where-Object { $_.Name -eq $SnapshotName }) | Select-Object -First 1
if ($null -eq $snapshot -and [string]$vm.Notes -eq ($FreshDiskMarker + $SnapshotName)) {
  $state = [string]$vm.State
  if ($state -eq 'Saved') {
    Hyper-V\Remove-VMSavedState -VM $vm -ErrorAction Stop
  } elseif ($state -ne 'Off') {
    Hyper-V\Stop-VM -VM $vm -TurnOff -Force -ErrorAction Stop
  }
  foreach ($drive in @(Hyper-V\Get-VMHardDiskDrive -VM $vm -ErrorAction Stop)) {
    $disk = [string]$drive.Path
    $parent = [string](Hyper-V\Get-VHD -Path $disk -ErrorAction Stop).ParentPath
    if ([string]::IsNullOrEmpty($parent)) {
      throw (New-HvkError -Message ('The disk of "' + $Name + '" is not a differencing disk; it is not reset.') -ErrorId 'NotDifferencing' -Category InvalidOperation -Target $disk)
    }
    [System.IO.File]::Delete($disk)
    Hyper-V\New-VHD -Path $disk -ParentPath $parent -Differencing -ErrorAction Stop | Out-Null
  }
  $vm = Get-HvkVm -Name $Name -Id $Id
  return [ordered]@{ state = [string]$vm.State }
}
if ($null -eq $snapshot) {
  throw (New-HvkError -Message ('Hyper-V was unable to find a checkpoint named "' + $SnapshotName + '" of "' + $Name + '".') -ErrorId 'ObjectNotFound' -Category ObjectNotFound -Target $SnapshotName)
}
$state = [string]$vm.State
if ($state -ne 'Off' -and $state -ne 'Saved') {
  Hyper-V\Stop-VM -VM $vm -TurnOff -Force -ErrorAction Stop
}
# Without -Confirm:$false the cmdlet prompts, which fails in a non-interactive session.
Hyper-V\Restore-VMSnapshot -VMSnapshot $snapshot -Confirm:$false -ErrorAction Stop
$vm = Get-HvkVm -Name $Name -Id $Id
[ordered]@{ state = [string]$vm.State }

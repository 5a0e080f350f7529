# Applies a checkpoint and answers the resulting state: Saved for one taken while running
# (it holds memory), Off otherwise. A running VM is turned off first, like Hyper-V Manager does.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [Parameter(Mandatory = $true)][string]$SnapshotName
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name
$snapshot = @(Hyper-V\Get-VMSnapshot -VM $vm -ErrorAction Stop | Where-Object { $_.Name -eq $SnapshotName }) | Select-Object -First 1
if ($null -eq $snapshot) {
  throw (New-HvkError -Message ('Hyper-V was unable to find a checkpoint named "' + $SnapshotName + '" of "' + $Name + '".') -ErrorId 'ObjectNotFound' -Category ObjectNotFound -Target $SnapshotName)
}
$state = [string]$vm.State
if ($state -ne 'Off' -and $state -ne 'Saved') {
  Hyper-V\Stop-VM -VM $vm -TurnOff -Force -ErrorAction Stop
}
# Without -Confirm:$false the cmdlet prompts, which fails in a non-interactive session.
Hyper-V\Restore-VMSnapshot -VMSnapshot $snapshot -Confirm:$false -ErrorAction Stop
$vm = Get-HvkVm -Name $Name
[ordered]@{ state = [string]$vm.State }

# Graceful shutdown through the guest's Shutdown service, or power off with -TurnOff.
# A Saved VM has no running guest to shut down: its saved state is discarded instead.
# A Paused VM cannot react to a shutdown request: it is turned off.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = '',
  [bool]$TurnOff = $false
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
$state = [string]$vm.State
if ($state -eq 'Off') {
  # Already where the caller wants it.
} elseif ($state -eq 'Saved') {
  Hyper-V\Remove-VMSavedState -VM $vm -ErrorAction Stop
} elseif ($TurnOff -or $state -eq 'Paused') {
  Hyper-V\Stop-VM -VM $vm -TurnOff -Force -ErrorAction Stop
} else {
  Assert-HvkState -Vm $vm -Allowed @('Running') -Operation 'Stop'
  Hyper-V\Stop-VM -VM $vm -Force -ErrorAction Stop
}
$vm = Get-HvkVm -Name $Name -Id $Id
[ordered]@{ state = [string]$vm.State }

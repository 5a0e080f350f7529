# Writes memory and device state to disk and releases the host memory (Running/Paused -> Saved).
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = ''
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
Assert-HvkState -Vm $vm -Allowed @('Running', 'Paused') -Operation 'Save'
Hyper-V\Save-VM -VM $vm -ErrorAction Stop
$vm = Get-HvkVm -Name $Name -Id $Id
[ordered]@{ state = [string]$vm.State }

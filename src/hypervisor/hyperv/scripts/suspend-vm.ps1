# Pauses a running VM in memory (Suspend-VM). Not the same as saving it.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = ''
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
Assert-HvkState -Vm $vm -Allowed @('Running') -Operation 'Pause'
Hyper-V\Suspend-VM -VM $vm -ErrorAction Stop
$vm = Get-HvkVm -Name $Name -Id $Id
[ordered]@{ state = [string]$vm.State }

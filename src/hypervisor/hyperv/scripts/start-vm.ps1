# Boots an Off VM or restores a Saved one; resumes a Paused one.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = ''
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
Assert-HvkState -Vm $vm -Allowed @('Off', 'Saved', 'Paused') -Operation 'Start'
if ([string]$vm.State -eq 'Paused') {
  Hyper-V\Resume-VM -VM $vm -ErrorAction Stop
} else {
  Hyper-V\Start-VM -VM $vm -ErrorAction Stop
}
$vm = Get-HvkVm -Name $Name -Id $Id
[ordered]@{ state = [string]$vm.State }

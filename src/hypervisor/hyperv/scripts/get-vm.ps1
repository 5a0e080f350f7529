# One VM by exact name, or null when the host does not have it.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = ''
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Find-HvkVm -Name $Name -Id $Id
$view = $null
if ($null -ne $vm) { $view = ConvertTo-HvkVmView -Vm $vm }
[ordered]@{ vm = $view }

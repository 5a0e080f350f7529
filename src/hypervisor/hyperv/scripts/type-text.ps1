# Types printable ASCII through the synthetic keyboard (Msvm_Keyboard.TypeText, 512 chars max).
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = '',
  [Parameter(Mandatory = $true)][AllowEmptyString()][string]$Text
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
Assert-HvkState -Vm $vm -Allowed @('Running') -Operation 'Type text'
$keyboard = Get-HvkDevice -Vm $vm -ClassName 'Msvm_Keyboard'
if ($Text.Length -gt 0) {
  Invoke-HvkWmiMethod -InputObject $keyboard -MethodName 'TypeText' -Arguments @{ asciiText = [string]$Text } | Out-Null
}
[ordered]@{ returnValue = 0 }

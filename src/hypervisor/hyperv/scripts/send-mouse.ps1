# Synthetic mouse: absolute move (pixels), click / double click / button down / up (1-based
# button index), wheel. Needs the guest's synthetic mouse driver (EnabledState 2).
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [Parameter(Mandatory = $true)][ValidateSet('move', 'click', 'double', 'down', 'up', 'scroll')][string]$Action,
  [int]$X = -1,
  [int]$Y = -1,
  [ValidateRange(1, 5)][int]$Button = 1,
  [int]$Delta = 0
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name
Assert-HvkState -Vm $vm -Allowed @('Running') -Operation 'Mouse input'
$mouse = Get-HvkDevice -Vm $vm -ClassName 'Msvm_SyntheticMouse'
if ([int]$mouse.EnabledState -ne 2) {
  throw (New-HvkError -Message ('The synthetic mouse of "' + $Name + '" is not enabled yet (guest driver not loaded).') -ErrorId 'NotAvailable' -Category ResourceUnavailable -Target $Name)
}
if ($X -ge 0 -and $Y -ge 0) {
  Assert-HvkWmiResult -Result (Invoke-CimMethod -InputObject $mouse -MethodName 'SetAbsolutePosition' -Arguments @{ horizontalPosition = $X; verticalPosition = $Y } -ErrorAction Stop) -Method 'SetAbsolutePosition'
}
$clicks = 0
if ($Action -eq 'click') { $clicks = 1 }
if ($Action -eq 'double') { $clicks = 2 }
for ($i = 0; $i -lt $clicks; $i++) {
  Assert-HvkWmiResult -Result (Invoke-CimMethod -InputObject $mouse -MethodName 'ClickButton' -Arguments @{ buttonIndex = [uint32]$Button } -ErrorAction Stop) -Method 'ClickButton'
}
if ($Action -eq 'down' -or $Action -eq 'up') {
  $arguments = @{ buttonIndex = [uint32]$Button; isDown = ($Action -eq 'down') }
  Assert-HvkWmiResult -Result (Invoke-CimMethod -InputObject $mouse -MethodName 'SetButtonState' -Arguments $arguments -ErrorAction Stop) -Method 'SetButtonState'
}
if ($Action -eq 'scroll') {
  if ($null -eq $mouse.CimClass.CimClassMethods['SetScrollPosition']) {
    throw (New-HvkError -Message 'This host has no SetScrollPosition on Msvm_SyntheticMouse.' -ErrorId 'NotSupported' -Category NotImplemented -Target $Name)
  }
  Assert-HvkWmiResult -Result (Invoke-CimMethod -InputObject $mouse -MethodName 'SetScrollPosition' -Arguments @{ scrollPosition = $Delta } -ErrorAction Stop) -Method 'SetScrollPosition'
}
[ordered]@{ returnValue = 0 }

# Synthetic mouse: absolute move (pixels), click / double / triple click / button down / up (1-based
# button index), wheel. Needs the guest's synthetic mouse driver (EnabledState 2).
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = '',
  [Parameter(Mandatory = $true)][ValidateSet('move', 'click', 'double', 'triple', 'down', 'up', 'scroll')][string]$Action,
  [int]$X = -1,
  [int]$Y = -1,
  [ValidateRange(1, 5)][int]$Button = 1,
  [int]$WheelDelta = 0,
  [ValidateRange(0, 1000)][int]$SettleMilliseconds = 0
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
Assert-HvkState -Vm $vm -Allowed @('Running') -Operation 'Mouse input'
$mouse = Get-HvkDevice -Vm $vm -ClassName 'Msvm_SyntheticMouse'
if ([int]$mouse.EnabledState -ne 2) {
  throw (New-HvkError -Message ('The synthetic mouse of "' + $Name + '" is not enabled yet (guest driver not loaded).') -ErrorId 'NotAvailable' -Category ResourceUnavailable -Target $Name)
}
if ($X -ge 0 -and $Y -ge 0) {
  Invoke-HvkWmiMethod -InputObject $mouse -MethodName 'SetAbsolutePosition' -Arguments @{ horizontalPosition = [int32]$X; verticalPosition = [int32]$Y } | Out-Null
  # Lets the guest take the move before a click that depends on it (the real-host suite measures whether this is needed).
  if ($SettleMilliseconds -gt 0 -and $Action -ne 'move') { Start-Sleep -Milliseconds $SettleMilliseconds }
}
$clicks = 0
if ($Action -eq 'click') { $clicks = 1 }
if ($Action -eq 'double') { $clicks = 2 }
if ($Action -eq 'triple') { $clicks = 3 }
for ($i = 0; $i -lt $clicks; $i++) {
  Invoke-HvkWmiMethod -InputObject $mouse -MethodName 'ClickButton' -Arguments @{ buttonIndex = [uint32]$Button } | Out-Null
}
if ($Action -eq 'down' -or $Action -eq 'up') {
  $arguments = @{ buttonIndex = [uint32]$Button; isDown = [bool]($Action -eq 'down') }
  Invoke-HvkWmiMethod -InputObject $mouse -MethodName 'SetButtonState' -Arguments $arguments | Out-Null
}
if ($Action -eq 'scroll') {
  if ($null -eq $mouse.CimClass.CimClassMethods['SetScrollPosition']) {
    throw (New-HvkError -Message 'This host has no SetScrollPosition on Msvm_SyntheticMouse.' -ErrorId 'NotSupported' -Category NotImplemented -Target $Name)
  }
  # scrollPositionDelta is a relative sint32 (Microsoft's page); its unit and sign are the caller's
  # mapping (backend.ts), which the real-host suite checks.
  Invoke-HvkWmiMethod -InputObject $mouse -MethodName 'SetScrollPosition' -Arguments @{ scrollPositionDelta = [int32]$WheelDelta } | Out-Null
}
[ordered]@{ returnValue = 0 }

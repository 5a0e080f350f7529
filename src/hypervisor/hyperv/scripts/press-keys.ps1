# Presses key chords in order. Each chord is Windows virtual-key codes joined by ",": modifiers
# first, the key last (modifiers held while the key is typed). "cad" sends Ctrl+Alt+Del.
# Mode 'down' presses every code of every chord and leaves them down (PressKey); 'up' releases
# them in the order given (ReleaseKey): a key held for a while is one call of each.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = '',
  [Parameter(Mandatory = $true)][string[]]$Chords,
  [ValidateSet('press', 'down', 'up')][string]$Mode = 'press'
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
Assert-HvkState -Vm $vm -Allowed @('Running') -Operation 'Press keys'
$keyboard = Get-HvkDevice -Vm $vm -ClassName 'Msvm_Keyboard'
if ($Mode -ne 'press') {
  # Every code is parsed before the first key moves.
  $codes = @($Chords | ForEach-Object { $_.Split(',') } | ForEach-Object { [uint32]::Parse($_, [System.Globalization.CultureInfo]::InvariantCulture) })
  foreach ($code in $codes) {
    if ($Mode -eq 'down') {
      Invoke-HvkWmiMethod -InputObject $keyboard -MethodName 'PressKey' -Arguments @{ keyCode = [uint32]$code } | Out-Null
    } else {
      Invoke-HvkWmiMethod -InputObject $keyboard -MethodName 'ReleaseKey' -Arguments @{ keyCode = [uint32]$code } | Out-Null
    }
  }
  [ordered]@{ returnValue = 0; keys = $codes.Count }
  return
}
foreach ($chord in $Chords) {
  if ($chord -eq 'cad') {
    Invoke-HvkWmiMethod -InputObject $keyboard -MethodName 'TypeCtrlAltDel' | Out-Null
    continue
  }
  # Parsed as numbers: anything else fails here, before a key goes down.
  $codes = @($chord.Split(',') | ForEach-Object { [uint32]::Parse($_, [System.Globalization.CultureInfo]::InvariantCulture) })
  $modifiers = @()
  if ($codes.Count -gt 1) { $modifiers = @($codes[0..($codes.Count - 2)]) }
  $key = $codes[$codes.Count - 1]
  try {
    foreach ($m in $modifiers) {
      Invoke-HvkWmiMethod -InputObject $keyboard -MethodName 'PressKey' -Arguments @{ keyCode = [uint32]$m } | Out-Null
    }
    Invoke-HvkWmiMethod -InputObject $keyboard -MethodName 'TypeKey' -Arguments @{ keyCode = [uint32]$key } | Out-Null
  } finally {
    # Never leave a modifier down, even when a key failed.
    [array]::Reverse($modifiers)
    foreach ($m in $modifiers) {
      try { Invoke-HvkWmiMethod -InputObject $keyboard -MethodName 'ReleaseKey' -Arguments @{ keyCode = [uint32]$m } | Out-Null } catch { $null = $_ }
    }
  }
}
[ordered]@{ returnValue = 0; chords = $Chords.Count }

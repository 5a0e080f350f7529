# The guest clipboard over PowerShell Direct (Get-Clipboard / Set-Clipboard inside the session).
# The text travels as an argument of a fixed script block, never as script text.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = '',
  [Parameter(Mandatory = $true)][AllowEmptyString()][string]$GuestUser,
  [Parameter(Mandatory = $true)][AllowEmptyString()][string]$GuestPassword,
  [Parameter(Mandatory = $true)][ValidateSet('get', 'set')][string]$Action,
  [AllowEmptyString()][string]$Text = ''
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
$session = New-HvkGuestSession -Vm $vm -User $GuestUser -Password $GuestPassword
try {
  if ($Action -eq 'set') {
    Microsoft.PowerShell.Core\Invoke-Command -Session $session -ScriptBlock { param($t) Set-Clipboard -Value $t } -ArgumentList $Text -ErrorAction Stop
    return [ordered]@{ ok = $true }
  }
  $value = Microsoft.PowerShell.Core\Invoke-Command -Session $session -ScriptBlock { Get-Clipboard -Raw } -ErrorAction Stop
  if ($null -eq $value) { $value = '' }
  return [ordered]@{ text = [string]$value }
} finally {
  Microsoft.PowerShell.Core\Remove-PSSession -Session $session -ErrorAction SilentlyContinue
}

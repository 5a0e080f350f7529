# Whether the guest answers over PowerShell Direct, and what it is.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = '',
  [Parameter(Mandatory = $true)][AllowEmptyString()][string]$GuestUser,
  [Parameter(Mandatory = $true)][AllowEmptyString()][string]$GuestPassword
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
$session = New-HvkGuestSession -Vm $vm -User $GuestUser -Password $GuestPassword
try {
  $r = Microsoft.PowerShell.Core\Invoke-Command -Session $session -ScriptBlock {
    $os = Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction SilentlyContinue
    $caption = $null
    if ($null -ne $os) { $caption = [string]$os.Caption }
    @{ prettyName = $caption; hostname = [Environment]::MachineName }
  } -ErrorAction Stop
  return [ordered]@{ os = 'mswindows'; prettyName = $r.prettyName; hostname = [string]$r.hostname }
} finally {
  Microsoft.PowerShell.Core\Remove-PSSession -Session $session -ErrorAction SilentlyContinue
}

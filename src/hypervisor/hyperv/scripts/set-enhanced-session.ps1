# Enhanced session (RDP over VMBus sockets) on or off; a no-op on hosts without the parameter.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = '',
  [Parameter(Mandatory = $true)][bool]$Enabled
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
$supported = $null -ne (Get-Command -Name 'Hyper-V\Set-VM' -ParameterName 'EnhancedSessionTransportType' -ErrorAction SilentlyContinue)
if ($supported) {
  $transport = 'VMBus'
  if ($Enabled) { $transport = 'HvSocket' }
  Hyper-V\Set-VM -VM $vm -EnhancedSessionTransportType $transport -ErrorAction Stop
}
[ordered]@{ supported = $supported; enabled = ($supported -and $Enabled) }

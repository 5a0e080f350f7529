# The Heartbeat integration service, matched by GUID (names are localized).
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = ''
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
$service = Hyper-V\Get-VMIntegrationService -VM $vm -ErrorAction Stop |
  Where-Object { $_.Id -match '84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47' } |
  Select-Object -First 1
$heartbeat = $null
if ($null -ne $vm.Heartbeat) { $heartbeat = [string]$vm.Heartbeat }
$enabled = $false
$status = $null
$description = $null
if ($null -ne $service) {
  $enabled = [bool]$service.Enabled
  $status = [string]$service.PrimaryOperationalStatus
  $description = [string]$service.PrimaryStatusDescription
}
[ordered]@{
  state                    = [string]$vm.State
  heartbeat                = $heartbeat
  enabled                  = $enabled
  primaryOperationalStatus = $status
  primaryStatusDescription = $description
}

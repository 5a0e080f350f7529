# The VM's network adapters with the addresses the guest reports through integration services.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = ''
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
$adapters = @(Hyper-V\Get-VMNetworkAdapter -VM $vm -ErrorAction Stop | ForEach-Object {
    [ordered]@{
      name        = [string]$_.Name
      macAddress  = [string]$_.MacAddress
      switchName  = [string]$_.SwitchName
      ipAddresses = @($_.IPAddresses | Where-Object { $null -ne $_ } | ForEach-Object { [string]$_ })
    }
  })
[ordered]@{ state = [string]$vm.State; adapters = $adapters }

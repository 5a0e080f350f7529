# VMs whose name starts with a prefix (ordinal comparison: no wildcards).
param(
  [Parameter(Mandatory = $true)][AllowEmptyString()][string]$Prefix
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vms = @(Hyper-V\Get-VM -ErrorAction Stop | Where-Object { ([string]$_.Name).StartsWith($Prefix, [System.StringComparison]::Ordinal) })
$views = @($vms | ForEach-Object { ConvertTo-HvkVmView -Vm $_ })
[ordered]@{ vms = $views }

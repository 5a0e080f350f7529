# A GPU partition for the VM (GPU-P). The VM must be off. Checkpoints stop working with it.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = ''
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
Assert-HvkState -Vm $vm -Allowed @('Off') -Operation 'Add GPU partition'
if (@(Hyper-V\Get-VMGpuPartitionAdapter -VM $vm -ErrorAction Stop).Count -eq 0) {
  Hyper-V\Add-VMGpuPartitionAdapter -VM $vm -ErrorAction Stop
}
# Device memory mapping needs guest-controlled caching and room for the GPU's apertures.
Hyper-V\Set-VM -VM $vm -GuestControlledCacheTypes $true -LowMemoryMappedIoSpace 1GB -HighMemoryMappedIoSpace 32GB -ErrorAction Stop
[ordered]@{ adapters = @(Hyper-V\Get-VMGpuPartitionAdapter -VM $vm -ErrorAction Stop).Count }

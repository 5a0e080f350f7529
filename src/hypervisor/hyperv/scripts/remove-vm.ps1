# Removes the VM and its files: power off, Remove-VM, then its disks (checkpoint .avhdx files
# and its own differencing .vhdx, never the template parent) and its configuration folder.
param(
  [Parameter(Mandatory = $true)][string]$Name
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Find-HvkVm -Name $Name
if ($null -eq $vm) {
  return [ordered]@{ removed = $false; files = @() }
}

$state = [string]$vm.State
if ($state -eq 'Saved') {
  Hyper-V\Remove-VMSavedState -VM $vm -ErrorAction Stop
} elseif ($state -ne 'Off') {
  Hyper-V\Stop-VM -VM $vm -TurnOff -Force -ErrorAction Stop
}
if ($null -ne (Get-Command -Name 'Hyper-V\Set-VM' -ParameterName 'AutomaticCheckpointsEnabled' -ErrorAction SilentlyContinue)) {
  Hyper-V\Set-VM -VM $vm -AutomaticCheckpointsEnabled $false -ErrorAction Stop
}

# Walk each attached disk's chain: checkpoint disks (.avhdx) up to the VM's own disk, then stop.
$files = New-Object System.Collections.Generic.List[string]
foreach ($drive in @(Hyper-V\Get-VMHardDiskDrive -VM $vm -ErrorAction Stop)) {
  $current = [string]$drive.Path
  while (-not [string]::IsNullOrEmpty($current)) {
    $files.Add($current)
    $extension = [System.IO.Path]::GetExtension($current).ToLowerInvariant()
    if ($extension -ne '.avhdx' -and $extension -ne '.avhd') { break }
    $current = [string](Hyper-V\Get-VHD -Path $current -ErrorAction Stop).ParentPath
  }
}
$vmPath = [string]$vm.Path
$vmName = [string]$vm.Name

Hyper-V\Remove-VM -VM $vm -Force -ErrorAction Stop

# Hyper-V may hold a disk for a moment after removal: retry for a few seconds.
foreach ($file in $files) {
  for ($attempt = 1; $attempt -le 20; $attempt++) {
    try {
      if ([System.IO.File]::Exists($file)) { [System.IO.File]::Delete($file) }
      break
    } catch {
      if ($attempt -eq 20) { throw }
      Start-Sleep -Milliseconds 500
    }
  }
}
# Only the folder New-VM made for this VM (<Path>\<Name>) is deleted, never a shared parent.
if (-not [string]::IsNullOrEmpty($vmPath) -and [System.IO.Path]::GetFileName($vmPath.TrimEnd('\')) -eq $vmName) {
  if ([System.IO.Directory]::Exists($vmPath)) { [System.IO.Directory]::Delete($vmPath, $true) }
}
[ordered]@{ removed = $true; files = @($files) }

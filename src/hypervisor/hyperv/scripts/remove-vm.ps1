# Removes the VM and its files. Remove-VM alone merges the VM's checkpoints into its disk in the
# background after the VM is gone (Remove-VM docs), holding the files while we would delete them;
# so the checkpoints are deleted first and their merge awaited while the VM still exists (a
# timeout leaves the VM in place, and a retry finds it). Then Remove-VM, the VM's own disk (never
# the template parent) and its configuration folder.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = '',
  [ValidateRange(1, 3600)][int]$MergeTimeoutSeconds = 300
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Find-HvkVm -Name $Name -Id $Id
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

foreach ($snapshot in @(Hyper-V\Get-VMSnapshot -VM $vm -ErrorAction Stop)) {
  Hyper-V\Remove-VMSnapshot -VMSnapshot $snapshot -ErrorAction Stop
}
# The merge is done when no drive points at a checkpoint disk (.avhdx) any more.
$deadline = [DateTime]::UtcNow.AddSeconds($MergeTimeoutSeconds)
for (;;) {
  $drives = @(Hyper-V\Get-VMHardDiskDrive -VM $vm -ErrorAction Stop)
  $merging = @($drives | Where-Object { [System.IO.Path]::GetExtension([string]$_.Path) -match '^\.avhdx?$' })
  if ($merging.Count -eq 0) { break }
  if ([DateTime]::UtcNow -gt $deadline) {
    $text = 'Hyper-V is still merging the checkpoints of "' + $Name + '" after ' + $MergeTimeoutSeconds + ' s; the VM was kept, remove it again later.'
    throw (New-HvkError -Message $text -ErrorId 'MergeInProgress' -Category ResourceBusy -Target $Name)
  }
  Start-Sleep -Seconds 1
}
$files = @($drives | ForEach-Object { [string]$_.Path } | Where-Object { -not [string]::IsNullOrEmpty($_) })
$vmPath = [string]$vm.Path
$vmName = [string]$vm.Name

Hyper-V\Remove-VM -VM $vm -Force -ErrorAction Stop

# Hyper-V may hold a disk for a moment after removal: retry, then name what is left.
$left = New-Object System.Collections.Generic.List[string]
foreach ($file in $files) {
  for ($attempt = 1; $attempt -le 60; $attempt++) {
    try {
      if ([System.IO.File]::Exists($file)) { [System.IO.File]::Delete($file) }
      break
    } catch {
      if ($attempt -eq 60) { $left.Add($file) } else { Start-Sleep -Milliseconds 500 }
    }
  }
}
if ($left.Count -gt 0) {
  $text = 'Removed "' + $Name + '" but could not delete: ' + ($left -join ', ') + '. Delete these files by hand.'
  throw (New-HvkError -Message $text -ErrorId 'FilesLeft' -Category ResourceBusy -Target $Name)
}
# Only the folder New-VM made for this VM (<Path>\<Name>) is deleted, never a shared parent.
if (-not [string]::IsNullOrEmpty($vmPath) -and [System.IO.Path]::GetFileName($vmPath.TrimEnd('\')) -eq $vmName) {
  if ([System.IO.Directory]::Exists($vmPath)) { [System.IO.Directory]::Delete($vmPath, $true) }
}
[ordered]@{ removed = $true; files = @($files) }

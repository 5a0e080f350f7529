# Host capacity: CPUs, memory, free memory, free disk where VM files live.
param(
  [string]$VmDirectory = ''
)
$ErrorActionPreference = 'Stop'
$vmHost = Hyper-V\Get-VMHost -ErrorAction Stop
$os = Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction Stop
$dir = $VmDirectory
if ([string]::IsNullOrEmpty($dir)) { $dir = [string]$vmHost.VirtualHardDiskPath }
$freeDisk = $null
$root = [System.IO.Path]::GetPathRoot($dir)
if (-not [string]::IsNullOrEmpty($root)) {
  $drive = New-Object System.IO.DriveInfo $root
  if ($drive.IsReady) { $freeDisk = [int64]$drive.AvailableFreeSpace }
}
[ordered]@{
  hostname              = [string]$env:COMPUTERNAME
  logicalProcessorCount = [int]$vmHost.LogicalProcessorCount
  memoryCapacityBytes   = [int64]$vmHost.MemoryCapacity
  freePhysicalMemoryKB  = [int64]$os.FreePhysicalMemory
  freeDiskBytes         = $freeDisk
  virtualHardDiskPath   = [string]$vmHost.VirtualHardDiskPath
  osVersion             = [string]$os.Version
  psVersion             = [string]$PSVersionTable.PSVersion
}

# The console as raw RGB565 (little-endian, top-down), from the WMI thumbnail method.
# The PNG is made by the caller: a per-pixel loop in PowerShell would take seconds. The bytes go
# back under 'binary', which the host loop sends outside the JSON (a 1080p frame is ~4 MB).
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = '',
  [int]$Width = 0
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
Assert-HvkState -Vm $vm -Allowed @('Running', 'Paused') -Operation 'Screenshot'
$cs = Get-HvkComputerSystem -Vm $vm
$settings = Get-CimAssociatedInstance -InputObject $cs -ResultClassName 'Msvm_VirtualSystemSettingData' -ErrorAction Stop |
  Where-Object { $_.VirtualSystemType -eq 'Microsoft:Hyper-V:System:Realized' } |
  Select-Object -First 1
$head = Get-CimAssociatedInstance -InputObject $cs -ResultClassName 'Msvm_VideoHead' -ErrorAction Stop | Select-Object -First 1
$nativeWidth = 1024
$nativeHeight = 768
if ($null -ne $head -and [int]$head.CurrentHorizontalResolution -gt 0) {
  $nativeWidth = [int]$head.CurrentHorizontalResolution
  $nativeHeight = [int]$head.CurrentVerticalResolution
}
$w = $nativeWidth
$h = $nativeHeight
if ($Width -gt 0 -and $Width -lt $nativeWidth) {
  $w = $Width
  $h = [int][System.Math]::Max(1, [System.Math]::Round($nativeHeight * $Width / $nativeWidth))
}
$service = Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName 'Msvm_VirtualSystemManagementService' -ErrorAction Stop
$arguments = @{ TargetSystem = $settings; WidthPixels = [uint16]$w; HeightPixels = [uint16]$h }
$result = Invoke-HvkWmiMethod -InputObject $service -MethodName 'GetVirtualSystemThumbnailImage' -Arguments $arguments
$bytes = [byte[]]$result.ImageData
$expected = $w * $h * 2
if ($bytes.Length -ne $expected) {
  throw (New-HvkError -Message ('Thumbnail has ' + $bytes.Length + ' bytes, expected ' + $expected + '.') -ErrorId 'BadThumbnail' -Category InvalidResult -Target $Name)
}
[ordered]@{
  width      = $w
  height     = $h
  format     = 'rgb565le'
  binary     = $bytes
}

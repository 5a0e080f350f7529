# Facts for `hvkube doctor`: Hyper-V service, module, rights, switch, free memory and disk.
param(
  [string]$SwitchName = '',
  [string]$VmDirectory = ''
)
$ErrorActionPreference = 'Stop'
$identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
$principal = New-Object System.Security.Principal.WindowsPrincipal $identity
$elevated = $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
# Hyper-V Administrators is matched by its well-known SID; its name is localized.
$hvAdmin = $false
foreach ($group in $identity.Groups) { if ($group.Value -eq 'S-1-5-32-578') { $hvAdmin = $true } }
$service = Get-Service -Name 'vmms' -ErrorAction SilentlyContinue
$module = @(Get-Module -ListAvailable -Name 'Hyper-V')
$switchFound = $null
$switchError = $null
if ($module.Count -gt 0 -and -not [string]::IsNullOrEmpty($SwitchName)) {
  try {
    $switchFound = @(Hyper-V\Get-VMSwitch -ErrorAction Stop | Where-Object { $_.Name -eq $SwitchName }).Count -gt 0
  } catch {
    $switchError = $_.Exception.Message
  }
}
$os = Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction Stop
$dir = $VmDirectory
if ([string]::IsNullOrEmpty($dir)) { $dir = [System.Environment]::GetFolderPath('CommonApplicationData') }
$freeDisk = $null
$root = [System.IO.Path]::GetPathRoot($dir)
if (-not [string]::IsNullOrEmpty($root)) {
  $drive = New-Object System.IO.DriveInfo $root
  if ($drive.IsReady) { $freeDisk = [int64]$drive.AvailableFreeSpace }
}
$serviceStatus = $null
if ($null -ne $service) { $serviceStatus = [string]$service.Status }
[ordered]@{
  vmmsService          = $serviceStatus
  hypervModule         = ($module.Count -gt 0)
  elevated             = [bool]$elevated
  hypervAdministrators = [bool]$hvAdmin
  switchName           = $SwitchName
  switchFound          = $switchFound
  switchError          = $switchError
  freePhysicalMemoryKB = [int64]$os.FreePhysicalMemory
  totalMemoryKB        = [int64]$os.TotalVisibleMemorySize
  freeDiskBytes        = $freeDisk
  psVersion            = [string]$PSVersionTable.PSVersion
  productType          = [int]$os.ProductType
}

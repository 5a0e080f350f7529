# A copy-on-write child of the template disk. The parent is never modified.
param(
  [Parameter(Mandatory = $true)][string]$ParentPath,
  [Parameter(Mandatory = $true)][string]$Path
)
$ErrorActionPreference = 'Stop'
# .NET path calls, not the provider cmdlets: those treat [ ] * ? in -Path as wildcards.
$directory = [System.IO.Path]::GetDirectoryName($Path)
if (-not [string]::IsNullOrEmpty($directory)) {
  [System.IO.Directory]::CreateDirectory($directory) | Out-Null
}
$vhd = Hyper-V\New-VHD -Path $Path -ParentPath $ParentPath -Differencing -ErrorAction Stop
[ordered]@{
  path       = [string]$vhd.Path
  parentPath = [string]$vhd.ParentPath
  vhdType    = [string]$vhd.VhdType
}

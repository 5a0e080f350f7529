# Files inside the guest: read (copy to a host file), write (copy from a host file) and list.
# Guest paths are -LiteralPath data (no wildcards); they travel as parameters, never as script text.
# Writing uses PowerShell Direct (Copy-Item -ToSession) or, without guest credentials, Copy-VMFile
# through the Guest Service Interface; reading and listing need PowerShell Direct.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = '',
  [AllowEmptyString()][string]$GuestUser = '',
  [AllowEmptyString()][string]$GuestPassword = '',
  [Parameter(Mandatory = $true)][ValidateSet('read', 'write', 'list')][string]$Action,
  [Parameter(Mandatory = $true)][string]$GuestPath,
  [string]$HostPath = '',
  [ValidateSet('Session', 'CopyVMFile')][string]$Method = 'Session',
  [int64]$MaxBytes = 104857600
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id

if ($Action -eq 'write' -and $Method -eq 'CopyVMFile') {
  Assert-HvkState -Vm $vm -Allowed @('Running') -Operation 'Copy a file into'
  $service = Hyper-V\Get-VMIntegrationService -VM $vm -ErrorAction Stop |
    Where-Object { $_.Id -match '6C09BB55-D683-4DA0-8931-C9BF705F6480' } |
    Select-Object -First 1
  if ($null -eq $service -or -not [bool]$service.Enabled) {
    throw (New-HvkError -Message ('Copy-VMFile needs the Guest Service Interface of "' + $vm.Name + '", which is disabled.') -ErrorId 'GuestUnavailable' -Category ResourceUnavailable -Target $vm.Name)
  }
  Hyper-V\Copy-VMFile -VM $vm -SourcePath $HostPath -DestinationPath $GuestPath -FileSource Host -CreateFullPath -Force -ErrorAction Stop
  return [ordered]@{ size = [int64](Get-Item -LiteralPath $HostPath).Length }
}

$session = New-HvkGuestSession -Vm $vm -User $GuestUser -Password $GuestPassword
$probe = {
  param($p)
  $item = Get-Item -LiteralPath $p -Force -ErrorAction SilentlyContinue
  if ($null -eq $item) { return @{ exists = $false; isDir = $false; size = 0 } }
  $size = 0
  if (-not $item.PSIsContainer) { $size = [int64]$item.Length }
  @{ exists = $true; isDir = [bool]$item.PSIsContainer; size = $size }
}
try {
  if ($Action -eq 'list') {
    $listing = {
      param($p)
      $item = Get-Item -LiteralPath $p -Force -ErrorAction SilentlyContinue
      if ($null -eq $item) { return @{ exists = $false; entries = @() } }
      $items = @($item)
      if ($item.PSIsContainer) { $items = @(Get-ChildItem -LiteralPath $p -Force -ErrorAction Stop) }
      $entries = @(foreach ($i in $items) {
        $type = 'file'
        if ($i.PSIsContainer) { $type = 'dir' }
        if ($i.Attributes -band [IO.FileAttributes]::ReparsePoint) { $type = 'link' }
        $size = 0
        if (-not $i.PSIsContainer) { $size = [int64]$i.Length }
        @{ name = [string]$i.Name; type = $type; size = $size; modified = $i.LastWriteTimeUtc.ToString('o') }
      })
      @{ exists = $true; entries = $entries }
    }
    $r = Microsoft.PowerShell.Core\Invoke-Command -Session $session -ScriptBlock $listing -ArgumentList $GuestPath -ErrorAction Stop
    if (-not [bool]$r.exists) {
      throw (New-HvkError -Message ('Cannot find path "' + $GuestPath + '" in the guest.') -ErrorId 'GuestPathNotFound' -Category ObjectNotFound -Target $GuestPath)
    }
    $entries = @(foreach ($e in @($r.entries)) { [ordered]@{ name = [string]$e.name; type = [string]$e.type; size = [int64]$e.size; modified = [string]$e.modified } })
    return [ordered]@{ entries = $entries }
  }
  if ($Action -eq 'read') {
    $info = Microsoft.PowerShell.Core\Invoke-Command -Session $session -ScriptBlock $probe -ArgumentList $GuestPath -ErrorAction Stop
    if (-not [bool]$info.exists -or [bool]$info.isDir) {
      throw (New-HvkError -Message ('Cannot find file "' + $GuestPath + '" in the guest.') -ErrorId 'GuestPathNotFound' -Category ObjectNotFound -Target $GuestPath)
    }
    if ([int64]$info.size -gt $MaxBytes) {
      throw (New-HvkError -Message ('"' + $GuestPath + '" is ' + [string]$info.size + ' bytes, over the limit of ' + [string]$MaxBytes + '.') -ErrorId 'GuestFileTooLarge' -Category LimitsExceeded -Target $GuestPath)
    }
    Microsoft.PowerShell.Management\Copy-Item -FromSession $session -LiteralPath $GuestPath -Destination $HostPath -Force -ErrorAction Stop
    return [ordered]@{ size = [int64]$info.size }
  }
  Microsoft.PowerShell.Management\Copy-Item -ToSession $session -LiteralPath $HostPath -Destination $GuestPath -Force -ErrorAction Stop
  return [ordered]@{ size = [int64](Get-Item -LiteralPath $HostPath).Length }
} finally {
  Microsoft.PowerShell.Core\Remove-PSSession -Session $session -ErrorAction SilentlyContinue
}

# Helpers dot-sourced by the operation scripts. Defines functions and one constant; no side effects.
# Every lookup is exact and non-wildcard: Get-VM -Name would expand * ? and [ ] in a name.

# Notes of a VM whose clean state is a fresh disk (no checkpoints with a GPU partition).
$FreshDiskMarker = 'hvkube-fresh-disk:'

function New-HvkError {
  param(
    [Parameter(Mandatory = $true)][string]$Message,
    [Parameter(Mandatory = $true)][string]$ErrorId,
    [Parameter(Mandatory = $true)][System.Management.Automation.ErrorCategory]$Category,
    [object]$Target
  )
  $exception = New-Object System.InvalidOperationException $Message
  New-Object System.Management.Automation.ErrorRecord $exception, $ErrorId, $Category, $Target
}

function Find-HvkVm {
  param(
    [Parameter(Mandatory = $true)][string]$Name,
    [string]$Id = ''
  )
  # The id the caller stored finds the VM without listing every VM on the host. The name must
  # still match: a VM removed and created again under its name has a new id.
  if ($Id -match '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$') {
    # A VM that is gone is an error for -Id; the name lookup below then decides.
    $byId = @()
    try { $byId = @(Hyper-V\Get-VM -Id $Id -ErrorAction Stop) } catch { $byId = @() }
    if ($byId.Count -eq 1 -and [string]$byId[0].Name -eq $Name) { return $byId[0] }
  }
  $found = @(Hyper-V\Get-VM -ErrorAction Stop | Where-Object { $_.Name -eq $Name })
  if ($found.Count -gt 1) {
    throw (New-HvkError -Message ('More than one virtual machine is named "' + $Name + '".') -ErrorId 'AmbiguousName' -Category InvalidOperation -Target $Name)
  }
  if ($found.Count -eq 1) { return $found[0] }
  return $null
}

function Get-HvkVm {
  param(
    [Parameter(Mandatory = $true)][string]$Name,
    [string]$Id = ''
  )
  $vm = Find-HvkVm -Name $Name -Id $Id
  if ($null -eq $vm) {
    # Same text and category as Hyper-V's own not-found error.
    throw (New-HvkError -Message ('Hyper-V was unable to find a virtual machine with name "' + $Name + '".') -ErrorId 'ObjectNotFound' -Category ObjectNotFound -Target $Name)
  }
  return $vm
}

function Assert-HvkState {
  param(
    [Parameter(Mandatory = $true)]$Vm,
    [Parameter(Mandatory = $true)][string[]]$Allowed,
    [Parameter(Mandatory = $true)][string]$Operation
  )
  $state = [string]$Vm.State
  if ($Allowed -notcontains $state) {
    $text = $Operation + ' of "' + $Vm.Name + '" failed. The operation cannot be performed while the object is in its current state (' + $state + ').'
    throw (New-HvkError -Message $text -ErrorId 'InvalidState' -Category InvalidOperation -Target $Vm.Name)
  }
}

function ConvertTo-HvkVmView {
  param([Parameter(Mandatory = $true)]$Vm)
  $checkpoints = @(Hyper-V\Get-VMSnapshot -VM $Vm -ErrorAction Stop | ForEach-Object { [string]$_.Name })
  $notes = [string]$Vm.Notes
  if ($notes.StartsWith($FreshDiskMarker)) { $checkpoints += $notes.Substring($FreshDiskMarker.Length) }
  $heartbeat = $null
  if ($null -ne $Vm.Heartbeat) { $heartbeat = [string]$Vm.Heartbeat }
  $parent = $null
  if ($null -ne $Vm.ParentSnapshotName) { $parent = [string]$Vm.ParentSnapshotName }
  [ordered]@{
    id                          = ([string]$Vm.Id).ToLowerInvariant()
    name                        = [string]$Vm.Name
    state                       = [string]$Vm.State
    status                      = [string]$Vm.Status
    heartbeat                   = $heartbeat
    uptimeSeconds               = [int64]$Vm.Uptime.TotalSeconds
    memoryAssignedBytes         = [int64]$Vm.MemoryAssigned
    memoryStartupBytes          = [int64]$Vm.MemoryStartup
    processorCount              = [int]$Vm.ProcessorCount
    generation                  = [int]$Vm.Generation
    checkpointType              = [string]$Vm.CheckpointType
    automaticCheckpointsEnabled = [bool]$Vm.AutomaticCheckpointsEnabled
    parentCheckpointName        = $parent
    checkpoints                 = $checkpoints
    path                        = [string]$Vm.Path
  }
}

function Get-HvkComputerSystem {
  param([Parameter(Mandatory = $true)]$Vm)
  # The filter is built from a Guid, which formats to hex digits and dashes only.
  $vmId = $Vm.Id.ToString()
  if ($vmId -notmatch '^[0-9a-fA-F-]{36}$') {
    throw (New-HvkError -Message 'unexpected virtual machine id' -ErrorId 'InvalidId' -Category InvalidData -Target $vmId)
  }
  $cs = Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName 'Msvm_ComputerSystem' -Filter ("Name='" + $vmId + "'") -ErrorAction Stop
  if ($null -eq $cs) {
    throw (New-HvkError -Message ('No WMI computer system for "' + $Vm.Name + '".') -ErrorId 'ObjectNotFound' -Category ObjectNotFound -Target $Vm.Name)
  }
  return $cs
}

function Get-HvkDevice {
  param(
    [Parameter(Mandatory = $true)]$Vm,
    [Parameter(Mandatory = $true)][string]$ClassName
  )
  $cs = Get-HvkComputerSystem -Vm $Vm
  $device = Get-CimAssociatedInstance -InputObject $cs -ResultClassName $ClassName -ErrorAction Stop | Select-Object -First 1
  if ($null -eq $device) {
    throw (New-HvkError -Message ($ClassName + ' is not available for "' + $Vm.Name + '".') -ErrorId 'NotAvailable' -Category ResourceUnavailable -Target $Vm.Name)
  }
  return $device
}

function Get-HvkWmiError {
  param(
    [Parameter(Mandatory = $true)][string]$Method,
    [Parameter(Mandatory = $true)][int]$Code,
    [string]$Detail = ''
  )
  # Codes of the Msvm method table: 32769 access denied, 32772 timeout, 32775 invalid state.
  $id = 'WmiError' + $Code
  $category = [System.Management.Automation.ErrorCategory]::InvalidResult
  if ($Code -eq 32769) { $id = 'AccessDenied'; $category = [System.Management.Automation.ErrorCategory]::PermissionDenied }
  if ($Code -eq 32772) { $id = 'Timeout'; $category = [System.Management.Automation.ErrorCategory]::OperationTimeout }
  if ($Code -eq 32775) { $id = 'InvalidState'; $category = [System.Management.Automation.ErrorCategory]::InvalidOperation }
  $text = $Method + ' returned ' + $Code + '.'
  if (-not [string]::IsNullOrEmpty($Detail)) { $text = $text + ' ' + $Detail }
  New-HvkError -Message $text -ErrorId $id -Category $category -Target $Method
}

# Calls a WMI method and answers its result once the work is done. 4096 means "parameters checked,
# job started": the method goes on in the Msvm_ConcreteJob it returns, so wait for that job
# (JobState 7 Completed; 8 and above ended badly) and take its ErrorCode as the outcome.
function Invoke-HvkWmiMethod {
  param(
    [Parameter(Mandatory = $true)]$InputObject,
    [Parameter(Mandatory = $true)][string]$MethodName,
    [System.Collections.IDictionary]$Arguments = @{},
    [int]$TimeoutSeconds = 60
  )
  $result = Invoke-CimMethod -InputObject $InputObject -MethodName $MethodName -Arguments $Arguments -ErrorAction Stop
  $code = [int]$result.ReturnValue
  if ($code -eq 4096) {
    $job = Get-CimInstance -InputObject $result.Job -ErrorAction Stop
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([int]$job.JobState -lt 7) {
      if ([DateTime]::UtcNow -gt $deadline) { throw (Get-HvkWmiError -Method $MethodName -Code 32772 -Detail 'Its job did not finish in time.') }
      Start-Sleep -Milliseconds 50
      $job = Get-CimInstance -InputObject $job -ErrorAction Stop
    }
    $code = [int]$job.ErrorCode
    if ([int]$job.JobState -ne 7 -and $code -eq 0) { $code = 32768 }
    if ($code -ne 0) { throw (Get-HvkWmiError -Method $MethodName -Code $code -Detail ([string]$job.ErrorDescription)) }
    return $result
  }
  if ($code -ne 0) { throw (Get-HvkWmiError -Method $MethodName -Code $code) }
  return $result
}

# PowerShell Direct: a session into a running guest, with the template's credentials. The user and
# password arrive as parameters (data of the request), never as script text, and are not echoed.
# Any failure to open it (wrong credentials, guest not booted, PowerShell Direct service off) is
# reported as GuestUnavailable with Hyper-V's own message.
function New-HvkGuestSession {
  param(
    [Parameter(Mandatory = $true)]$Vm,
    [Parameter(Mandatory = $true)][AllowEmptyString()][string]$User,
    [Parameter(Mandatory = $true)][AllowEmptyString()][string]$Password
  )
  if ([string]$Vm.State -ne 'Running') {
    throw (New-HvkError -Message ('The guest of "' + $Vm.Name + '" cannot be reached: the virtual machine is ' + [string]$Vm.State + '.') -ErrorId 'GuestUnavailable' -Category ResourceUnavailable -Target $Vm.Name)
  }
  if ($User.Length -eq 0) {
    throw (New-HvkError -Message ('No guest credentials for "' + $Vm.Name + '": PowerShell Direct needs a user and password of the guest.') -ErrorId 'GuestUnavailable' -Category ResourceUnavailable -Target $Vm.Name)
  }
  $secure = ConvertTo-SecureString -String $Password -AsPlainText -Force
  $credential = New-Object System.Management.Automation.PSCredential -ArgumentList $User, $secure
  try {
    return (Microsoft.PowerShell.Core\New-PSSession -VMId $Vm.Id -Credential $credential -ErrorAction Stop)
  } catch {
    throw (New-HvkError -Message ('PowerShell Direct to "' + $Vm.Name + '" failed: ' + $_.Exception.Message) -ErrorId 'GuestUnavailable' -Category ResourceUnavailable -Target $Vm.Name)
  }
}

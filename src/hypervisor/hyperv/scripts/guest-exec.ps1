# Runs a program inside the guest over PowerShell Direct. The program, its arguments, working
# directory, environment and stdin are arguments of a fixed script block (data), never script text.
param(
  [Parameter(Mandatory = $true)][string]$Name,
  [string]$Id = '',
  [Parameter(Mandatory = $true)][AllowEmptyString()][string]$GuestUser,
  [Parameter(Mandatory = $true)][AllowEmptyString()][string]$GuestPassword,
  [Parameter(Mandatory = $true)][string[]]$Argv,
  [bool]$Shell = $false,
  [string]$Cwd = '',
  [string]$EnvJson = '{}',
  [string]$StdinBase64 = '',
  [int]$TimeoutMs = 60000,
  [int]$MaxOutputBytes = 4194304
)
$ErrorActionPreference = 'Stop'
. (Join-Path -Path $PSScriptRoot -ChildPath '_lib.ps1')
$vm = Get-HvkVm -Name $Name -Id $Id
$session = New-HvkGuestSession -Vm $vm -User $GuestUser -Password $GuestPassword
$guestBlock = {
  param($argv, $shell, $cwd, $envJson, $stdinBase64, $timeoutMs, $maxOutput)
  # One argument as the Microsoft C runtime splits a command line (CommandLineToArgvW rules).
  function Join-Argument([string]$a) {
    if ($a.Length -gt 0 -and $a -notmatch '[\s"]') { return $a }
    $sb = New-Object System.Text.StringBuilder
    [void]$sb.Append([char]34)
    $slashes = 0
    foreach ($ch in $a.ToCharArray()) {
      if ($ch -eq [char]92) { $slashes++; continue }
      if ($ch -eq [char]34) { [void]$sb.Append([char]92, 2 * $slashes + 1); [void]$sb.Append([char]34); $slashes = 0; continue }
      if ($slashes -gt 0) { [void]$sb.Append([char]92, $slashes); $slashes = 0 }
      [void]$sb.Append($ch)
    }
    if ($slashes -gt 0) { [void]$sb.Append([char]92, 2 * $slashes) }
    [void]$sb.Append([char]34)
    return $sb.ToString()
  }
  $utf8 = New-Object System.Text.UTF8Encoding $false
  $psi = New-Object System.Diagnostics.ProcessStartInfo
  if ($shell) {
    $psi.FileName = $env:ComSpec
    $psi.Arguments = '/d /s /c "' + $argv[0] + '"'
  } else {
    $psi.FileName = $argv[0]
    $psi.Arguments = (@($argv | Select-Object -Skip 1 | ForEach-Object { Join-Argument $_ }) -join ' ')
  }
  if ($cwd.Length -gt 0) { $psi.WorkingDirectory = $cwd }
  $vars = ConvertFrom-Json -InputObject $envJson
  foreach ($p in $vars.PSObject.Properties) { $psi.EnvironmentVariables[$p.Name] = [string]$p.Value }
  $psi.UseShellExecute = $false
  $psi.CreateNoWindow = $true
  $psi.RedirectStandardInput = $true
  $psi.RedirectStandardOutput = $true
  $psi.RedirectStandardError = $true
  $psi.StandardOutputEncoding = $utf8
  $psi.StandardErrorEncoding = $utf8
  $watch = [System.Diagnostics.Stopwatch]::StartNew()
  try {
    $process = [System.Diagnostics.Process]::Start($psi)
  } catch {
    $message = 'cannot start ' + $argv[0] + ': ' + $_.Exception.Message + "`n"
    return @{ exitCode = 127; stdout = ''; stderr = [Convert]::ToBase64String($utf8.GetBytes($message)); timedOut = $false; truncated = $false; durationMs = [int64]$watch.ElapsedMilliseconds }
  }
  $outTask = $process.StandardOutput.ReadToEndAsync()
  $errTask = $process.StandardError.ReadToEndAsync()
  if ($stdinBase64.Length -gt 0) {
    $bytes = [Convert]::FromBase64String($stdinBase64)
    $process.StandardInput.BaseStream.Write($bytes, 0, $bytes.Length)
  }
  $process.StandardInput.Close()
  $timedOut = -not $process.WaitForExit($timeoutMs)
  if ($timedOut) { try { $process.Kill() } catch { } ; [void]$process.WaitForExit(5000) }
  $out = $utf8.GetBytes($outTask.Result)
  $err = $utf8.GetBytes($errTask.Result)
  $truncated = ($out.Length -gt $maxOutput) -or ($err.Length -gt $maxOutput)
  $exitCode = $null
  if (-not $timedOut) { $exitCode = $process.ExitCode }
  @{
    exitCode   = $exitCode
    stdout     = [Convert]::ToBase64String($out, 0, [Math]::Min($out.Length, $maxOutput))
    stderr     = [Convert]::ToBase64String($err, 0, [Math]::Min($err.Length, $maxOutput))
    timedOut   = $timedOut
    truncated  = $truncated
    durationMs = [int64]$watch.ElapsedMilliseconds
  }
}
try {
  $r = Microsoft.PowerShell.Core\Invoke-Command -Session $session -ScriptBlock $guestBlock -ArgumentList $Argv, $Shell, $Cwd, $EnvJson, $StdinBase64, $TimeoutMs, $MaxOutputBytes -ErrorAction Stop
} finally {
  Microsoft.PowerShell.Core\Remove-PSSession -Session $session -ErrorAction SilentlyContinue
}
[ordered]@{
  exitCode   = $r.exitCode
  stdout     = [string]$r.stdout
  stderr     = [string]$r.stderr
  timedOut   = [bool]$r.timedOut
  truncated  = [bool]$r.truncated
  durationMs = [int64]$r.durationMs
}

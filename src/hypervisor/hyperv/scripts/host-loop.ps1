# hvkube host loop. Runs inside one long-lived Windows PowerShell process, started by
# `powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command -`.
# It reads one JSON request per line from stdin: {"id":n,"script":"<name>","params":{...}},
# runs <scriptsDir>\<name>.ps1 with the params splatted from a hashtable (data, never code),
# and writes one framed reply per request on stdout:
#   <<<HVK:<nonce>:BEGIN>>>
#   {"id":n,"ok":true,"result":...}   or   {"id":n,"ok":false,"error":{type,message,category,fqid,hresult}}
#   <<<HVK:<nonce>:END>>>
# A script may return bytes under the key 'binary': they travel as Base64 lines between the JSON
# line and the END marker, outside the JSON, so no serializer limit applies to their size.
# Anything else on stdout (warnings, Write-Host, progress) lies outside the markers and is ignored.
# The first reply (id 0) says the loop is ready and whether the Hyper-V module loaded.
param(
  [Parameter(Mandatory = $true)][string]$ConfigBase64
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'

# UTF-8 without BOM: [Text.Encoding]::UTF8 would prefix the output with EF BB BF.
$utf8NoBom = New-Object System.Text.UTF8Encoding $false
[Console]::OutputEncoding = $utf8NoBom
$OutputEncoding = $utf8NoBom

$config = ConvertFrom-Json -InputObject ([System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($ConfigBase64)))
$begin = '<<<HVK:' + [string]$config.nonce + ':BEGIN>>>'
$end = '<<<HVK:' + [string]$config.nonce + ':END>>>'
$scriptsDir = [string]$config.scriptsDir
$allowed = @{}
foreach ($scriptName in @($config.scripts)) { $allowed[[string]$scriptName] = $true }

# Windows PowerShell 5.1 may serialise arrays as {"value":[...],"Count":n} while this type data exists.
try { Remove-TypeData -TypeName System.Array -ErrorAction Stop } catch { $null = $_ }

$moduleError = $null
try { Import-Module -Name 'Hyper-V' -ErrorAction Stop } catch { $moduleError = $_.Exception.Message }

function Write-HvkReply {
  param(
    [Parameter(Mandatory = $true)]$Reply,
    [byte[]]$Binary = $null
  )
  try {
    $json = ConvertTo-Json -InputObject $Reply -Depth 16 -Compress
  } catch {
    $json = ConvertTo-Json -InputObject @{ id = $Reply.id; ok = $false; error = @{ type = 'SerializationError'; message = $_.Exception.Message; category = 'InvalidResult'; fqid = 'SerializationError'; hresult = 0 } } -Compress
  }
  # ASCII on the wire whatever the code page, and no < or > so a payload never forms a marker.
  $json = [regex]::Replace($json, '[^\x00-\x7E]|[<>]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
  $lines = ''
  if ($null -ne $Binary) { $lines = [System.Convert]::ToBase64String($Binary, [System.Base64FormattingOptions]::InsertLineBreaks) + "`n" }
  [Console]::Out.Write($begin + "`n" + $json + "`n" + $lines + $end + "`n")
  [Console]::Out.Flush()
}

$ready = [ordered]@{
  ready        = $true
  pid          = $PID
  psVersion    = [string]$PSVersionTable.PSVersion
  psEdition    = [string]$PSVersionTable.PSEdition
  hypervModule = ($null -eq $moduleError)
  moduleError  = $moduleError
}
Write-HvkReply -Reply ([ordered]@{ id = 0; ok = $true; result = $ready })

while ($true) {
  $line = [Console]::In.ReadLine()
  if ($null -eq $line) { break }
  $line = $line.Trim()
  if ($line.Length -eq 0) { continue }
  $id = $null
  $binary = $null
  try {
    $request = ConvertFrom-Json -InputObject $line
    $id = $request.id
    $name = [string]$request.script
    if (-not $allowed.ContainsKey($name)) {
      throw (New-Object System.ArgumentException ('Unknown script "' + $name + '".'))
    }
    $splat = @{}
    if ($null -ne $request.params) {
      foreach ($property in $request.params.PSObject.Properties) { $splat[$property.Name] = $property.Value }
    }
    $scriptPath = Join-Path -Path $scriptsDir -ChildPath ($name + '.ps1')
    $output = @(& $scriptPath @splat)
    $result = $null
    if ($output.Count -eq 1) { $result = $output[0] }
    if ($output.Count -gt 1) { $result = $output }
    if ($result -is [System.Collections.IDictionary] -and $result.Contains('binary')) {
      $binary = [byte[]]$result['binary']
      $result.Remove('binary')
    }
    $reply = [ordered]@{ id = $id; ok = $true; result = $result }
  } catch {
    $record = $_
    $reply = [ordered]@{
      id    = $id
      ok    = $false
      error = [ordered]@{
        type     = $record.Exception.GetType().FullName
        message  = $record.Exception.Message
        category = [string]$record.CategoryInfo.Category
        fqid     = [string]$record.FullyQualifiedErrorId
        hresult  = $record.Exception.HResult
      }
    }
  }
  Write-HvkReply -Reply $reply -Binary $binary
}

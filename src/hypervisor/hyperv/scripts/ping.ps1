# Round trip with no Hyper-V call: measures the session and echoes a value back as data.
param(
  [string]$Echo = ''
)
$ErrorActionPreference = 'Stop'
[ordered]@{
  echo      = $Echo
  pid       = $PID
  psVersion = [string]$PSVersionTable.PSVersion
}

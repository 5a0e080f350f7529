# Optional in-guest MCP automation agent: downloads a zip, runs its install.ps1, starts it at
# logon of the auto-login user (desktop automation needs the interactive session), and opens
# its port. Skipped when HVKUBE_MCP_AGENT_URL is empty.
$ErrorActionPreference = 'Stop'
$url = $env:HVKUBE_MCP_AGENT_URL
if ([string]::IsNullOrEmpty($url)) {
  Write-Output 'No MCP agent requested.'
  return
}
$port = [int]$env:HVKUBE_MCP_AGENT_PORT
$target = 'C:\Program Files\hvkube-agent'
$zip = Join-Path -Path $env:TEMP -ChildPath 'hvkube-agent.zip'
Invoke-WebRequest -Uri $url -OutFile $zip -UseBasicParsing
Expand-Archive -LiteralPath $zip -DestinationPath $target -Force
& (Join-Path -Path $target -ChildPath 'install.ps1') -Port $port
New-NetFirewallRule -DisplayName 'hvkube MCP agent' -Direction Inbound -Protocol TCP -LocalPort $port -Action Allow | Out-Null
$action = New-ScheduledTaskAction -Execute (Join-Path -Path $target -ChildPath 'start.cmd')
$trigger = New-ScheduledTaskTrigger -AtLogOn
$principal = New-ScheduledTaskPrincipal -UserId $env:USERNAME -LogonType Interactive -RunLevel Highest
Register-ScheduledTask -TaskName 'hvkube MCP agent' -Action $action -Trigger $trigger -Principal $principal -Force | Out-Null

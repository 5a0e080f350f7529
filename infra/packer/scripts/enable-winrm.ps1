# Runs at first logon (from the answer CD): WinRM over HTTP for Packer, private network profile.
$ErrorActionPreference = 'Stop'
Get-NetConnectionProfile | Set-NetConnectionProfile -NetworkCategory Private
Enable-PSRemoting -Force -SkipNetworkProfileCheck
Set-Item -Path WSMan:\localhost\Service\AllowUnencrypted -Value $true
Set-Item -Path WSMan:\localhost\Service\Auth\Basic -Value $true
Set-NetFirewallRule -Name 'WINRM-HTTP-In-TCP' -RemoteAddress Any

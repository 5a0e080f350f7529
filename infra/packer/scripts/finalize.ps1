# Last step: no pending updates at first boot of a clone, a smaller disk, no Packer leftovers.
$ErrorActionPreference = 'Stop'
Stop-Service -Name wuauserv -Force
Set-Service -Name wuauserv -StartupType Manual
Dism.exe /Online /Cleanup-Image /StartComponentCleanup /ResetBase
Remove-Item -Path "$env:TEMP\*" -Recurse -Force -ErrorAction SilentlyContinue
Optimize-Volume -DriveLetter C -ReTrim -ErrorAction SilentlyContinue

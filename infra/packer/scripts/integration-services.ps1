# Hyper-V integration services ship in-box with Windows 11: make sure the guest side runs, so
# the host sees heartbeat, shutdown, time sync, KVP (guest IP) and the synthetic mouse.
$ErrorActionPreference = 'Stop'
foreach ($service in @('vmicheartbeat', 'vmicshutdown', 'vmictimesync', 'vmickvpexchange', 'vmicvss', 'vmicguestinterface')) {
  Set-Service -Name $service -StartupType Automatic
  Start-Service -Name $service
}

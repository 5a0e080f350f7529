# QEMU/KVM guest side: the virtio-win drivers and the QEMU guest agent (qemu-ga) from the answer CD
# (labelled cidata, the virtio-win ISO's content at its root), and a system disk that is not
# encrypted to the build's TPM.
$ErrorActionPreference = 'Stop'
$cd = Get-Volume | Where-Object FileSystemLabel -eq 'cidata' | Select-Object -First 1
if ($null -eq $cd) { throw 'The answer CD (label cidata) is not attached.' }
$root = $cd.DriveLetter + ':\'
$tools = Join-Path -Path $root -ChildPath 'virtio-win-guest-tools.exe'
if (-not (Test-Path -LiteralPath $tools)) { throw "No virtio-win-guest-tools.exe on $root : point virtio_win_dir at the virtio-win ISO's content." }

# Trust the drivers' publisher first, so the silent install shows no "install this device software?" prompt.
$signed = Get-ChildItem -Path (Join-Path -Path $root -ChildPath 'vioserial\w11\amd64') -Filter '*.cat' -ErrorAction SilentlyContinue | Select-Object -First 1
if ($null -ne $signed) {
  $certificate = (Get-AuthenticodeSignature -LiteralPath $signed.FullName).SignerCertificate
  if ($null -ne $certificate) {
    $store = New-Object System.Security.Cryptography.X509Certificates.X509Store('TrustedPublisher', 'LocalMachine')
    $store.Open('ReadWrite')
    $store.Add($certificate)
    $store.Close()
  }
}

# Drivers (viostor, vioscsi, NetKVM, vioserial, balloon, viogpudo, ...) and qemu-ga in one bundle.
$run = Start-Process -FilePath $tools -ArgumentList '/install', '/quiet', '/norestart' -Wait -PassThru
# 3010: done, a restart is needed (the template restarts later).
if ($run.ExitCode -ne 0 -and $run.ExitCode -ne 3010) { throw "virtio-win-guest-tools.exe exited with $($run.ExitCode)" }

# The bundle installs qemu-ga; its own MSI is the fallback for virtio-win releases without it.
if ($null -eq (Get-Service -Name 'QEMU-GA' -ErrorAction SilentlyContinue)) {
  $msi = Join-Path -Path $root -ChildPath 'guest-agent\qemu-ga-x86_64.msi'
  $ga = Start-Process -FilePath 'msiexec.exe' -ArgumentList '/i', "`"$msi`"", '/qn', '/norestart' -Wait -PassThru
  if ($ga.ExitCode -ne 0 -and $ga.ExitCode -ne 3010) { throw "qemu-ga-x86_64.msi exited with $($ga.ExitCode)" }
}
# qemu-ga waits for its virtio-serial port (org.qemu.guest_agent.0), which hvkube's VMs have.
Set-Service -Name 'QEMU-GA' -StartupType Automatic

# Device encryption sealed to this build's TPM would leave every clone (each with its own TPM) at
# BitLocker recovery: make sure the system disk is not encrypted.
$volume = Get-BitLockerVolume -MountPoint 'C:' -ErrorAction SilentlyContinue
if ($null -ne $volume -and $volume.VolumeStatus -ne 'FullyDecrypted') {
  Disable-BitLocker -MountPoint 'C:' | Out-Null
  while ((Get-BitLockerVolume -MountPoint 'C:').VolumeStatus -ne 'FullyDecrypted') { Start-Sleep -Seconds 10 }
}

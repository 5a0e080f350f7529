# Windows 11 golden image for hvkube's QEMU/KVM backend, built on a Linux host with the qemu builder.
# Result: a qcow2 with UEFI + Secure Boot, a TPM 2.0 (swtpm), the virtio-win drivers and the QEMU
# guest agent, auto-logon, RDP on, and optionally the in-guest MCP automation agent.
# Register it with `hvkube template create --name win11 --vhdx <qcow2> --os windows`.
#
#   cd infra/packer/qemu
#   packer init .
#   packer build -var iso_url=/srv/iso/Win11_24H2_English_x64.iso -var iso_checksum=sha256:<hash> \
#                -var virtio_win_dir=/srv/virtio-win -var admin_password=<secret> windows11.pkr.hcl
#
# virtio_win_dir is the virtio-win ISO's content (mounted or extracted): it goes onto the answer CD,
# so the drivers sit at the same paths as on the ISO (viostor\w11\amd64, NetKVM\w11\amd64, ...).
# Host packages (Debian): qemu-system-x86, qemu-utils, ovmf, swtpm, swtpm-tools, xorriso.
# The answer file and the provisioning scripts other than qemu-guest.ps1 are the Hyper-V
# template's (../scripts); see docs/windows-image.md.

packer {
  required_version = ">= 1.9.0"
  required_plugins {
    qemu = {
      source = "github.com/hashicorp/qemu"
      # vtpm, tpm_device_type and the efi_* options arrived in 1.0.8; 1.1.0 is the first 1.1 release.
      version = ">= 1.1.0, < 2.0.0"
    }
  }
}

variable "iso_url" {
  type        = string
  description = "Windows 11 installation ISO (path or URL)."
}

variable "iso_checksum" {
  type        = string
  description = "Checksum of the ISO, e.g. sha256:<hex>; \"none\" skips the check."
}

variable "virtio_win_dir" {
  type        = string
  description = "Directory holding the virtio-win ISO's content (mounted or extracted)."
}

variable "admin_password" {
  type        = string
  sensitive   = true
  description = "Password of the local account that logs on automatically. Also set it in autounattend.xml (CHANGE-ME)."
}

variable "admin_user" {
  type    = string
  default = "hvkube"
}

# Debian's ovmf package: the 4 MiB Secure Boot build and variables with Microsoft's keys enrolled.
variable "efi_firmware_code" {
  type    = string
  default = "/usr/share/OVMF/OVMF_CODE_4M.ms.fd"
}

variable "efi_firmware_vars" {
  type    = string
  default = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"
}

# kvm + host: the build needs KVM in practice (an install under software emulation takes many hours).
variable "accelerator" {
  type    = string
  default = "kvm"
}

variable "cpu_model" {
  type    = string
  default = "host"
}

# On a q35 machine "ide" drives sit on the ICH9 AHCI controller: the disk hvkube gives a Windows VM.
# Windows boots from the controller it was installed on, so build with "virtio" only for templates
# whose VMs get a virtio disk.
variable "disk_interface" {
  type    = string
  default = "ide"
}

# e1000e has an in-box Windows driver; virtio-net works too (NetKVM is loaded from virtio_win_dir).
variable "net_device" {
  type    = string
  default = "e1000e"
}

variable "cpus" {
  type    = number
  default = 4
}

variable "memory_mb" {
  type    = number
  default = 8192
}

variable "disk_size" {
  type    = string
  default = "65536M"
}

variable "headless" {
  type    = bool
  default = true
}

variable "output_directory" {
  type    = string
  default = "output-windows11-qemu"
}

variable "mcp_agent_url" {
  type        = string
  default     = ""
  description = "Optional: download URL of an in-guest MCP automation agent (zip with an install.ps1). Empty skips it."
}

variable "mcp_agent_port" {
  type    = number
  default = 8765
}

source "qemu" "windows11" {
  iso_url           = var.iso_url
  iso_checksum      = var.iso_checksum
  accelerator       = var.accelerator
  cpu_model         = var.cpu_model
  machine_type      = "q35"
  cpus              = var.cpus
  memory            = var.memory_mb
  disk_size         = var.disk_size
  disk_interface    = var.disk_interface
  net_device        = var.net_device
  vga               = "std"
  format            = "qcow2"
  headless          = var.headless
  efi_boot          = true
  efi_firmware_code = var.efi_firmware_code
  efi_firmware_vars = var.efi_firmware_vars
  # The qcow2 is the artifact; hvkube gives each VM its own copy of the firmware variables.
  efi_drop_efivars = true
  # swtpm, started and ended by the builder, behind a tpm-tis device: Windows 11 setup's TPM 2.0 check.
  vtpm            = true
  tpm_device_type = "tpm-tis"
  # The Secure Boot build of OVMF keeps its variables behind SMM: mark the flash secure (as libvirt does).
  qemuargs = [
    ["-global", "driver=cfi.pflash01,property=secure,value=on"],
  ]
  # One CD with the answer file, the WinRM script and the virtio-win content at its root. A glob, so
  # validation does not require the directory; an empty one only fails inside the guest.
  cd_files = [
    "${path.root}/autounattend.xml",
    "${path.root}/../scripts/enable-winrm.ps1",
    "${var.virtio_win_dir}/*",
  ]
  cd_label = "cidata"
  # OVMF boots the DVD only after "Press any key to boot from CD or DVD".
  boot_wait        = "2s"
  boot_command     = ["<spacebar><wait><spacebar><wait><spacebar>"]
  communicator     = "winrm"
  winrm_username   = var.admin_user
  winrm_password   = var.admin_password
  winrm_timeout    = "4h"
  shutdown_command = "shutdown /s /t 5 /f /d p:4:1 /c \"hvkube golden image\""
  shutdown_timeout = "30m"
  output_directory = var.output_directory
  vm_name          = "hvkube-windows11.qcow2"
}

build {
  sources = ["source.qemu.windows11"]

  provisioner "powershell" {
    scripts = [
      "${path.root}/../scripts/enable-rdp.ps1",
      "${path.root}/../scripts/qemu-guest.ps1",
    ]
  }

  provisioner "powershell" {
    environment_vars = [
      "HVKUBE_MCP_AGENT_URL=${var.mcp_agent_url}",
      "HVKUBE_MCP_AGENT_PORT=${var.mcp_agent_port}",
    ]
    script = "${path.root}/../scripts/mcp-agent.ps1"
  }

  provisioner "windows-restart" {
    restart_timeout = "30m"
  }

  provisioner "powershell" {
    script = "${path.root}/../scripts/finalize.ps1"
  }
}

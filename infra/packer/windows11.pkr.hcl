# Windows 11 golden image for hvkube pools, built on a Hyper-V host with the hyperv-iso builder.
# Result: a Generation 2 VHDX with auto-login, RDP on, integration services, and optionally the
# in-guest MCP automation agent. Register it with `hvkube template add --disk <vhdx>`.
#
#   packer init .
#   packer build -var iso_url=D:\iso\Win11_24H2_English_x64.iso -var iso_checksum=sha256:<hash> \
#                -var admin_password=<secret> -var switch_name=hvkube windows11.pkr.hcl
#
# Packer 1.9 and later no longer contain the hyperv-iso builder: `packer init` installs the hyperv
# plugin named below ("Unknown source type hyperv-iso" means it was skipped).

packer {
  required_version = ">= 1.9.0"
  required_plugins {
    hyperv = {
      source  = "github.com/hashicorp/hyperv"
      version = ">= 1.1.1, < 2.0.0"
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

variable "admin_password" {
  type        = string
  sensitive   = true
  description = "Password of the local account that logs on automatically. Also set it in answer/autounattend.xml."
}

variable "admin_user" {
  type    = string
  default = "hvkube"
}

# No default: Windows Server has no "Default Switch", and for a switch that does not exist the
# plugin creates an Internal one without DHCP or NAT (no address, no internet for the build).
# On the host kit use "hvkube" (NAT and DHCP, made by infra/terraform); on Windows 10/11 "Default Switch".
variable "switch_name" {
  type        = string
  description = "An existing virtual switch with DHCP and internet access, e.g. hvkube (host kit) or Default Switch (Windows 10/11)."
}

variable "cpus" {
  type    = number
  default = 4
}

variable "memory_mb" {
  type    = number
  default = 8192
}

variable "disk_size_mb" {
  type    = number
  default = 65536
}

variable "output_directory" {
  type    = string
  default = "output-windows11"
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

source "hyperv-iso" "windows11" {
  iso_url               = var.iso_url
  iso_checksum          = var.iso_checksum
  generation            = 2
  cpus                  = var.cpus
  memory                = var.memory_mb
  disk_size             = var.disk_size_mb
  switch_name           = var.switch_name
  enable_secure_boot    = true
  secure_boot_template  = "MicrosoftWindows"
  enable_dynamic_memory = false
  guest_additions_mode  = "disable"
  # Gen2 VMs have no floppy: the answer file travels on a second CD.
  cd_files              = ["answer/autounattend.xml", "scripts/enable-winrm.ps1"]
  cd_label              = "cidata"
  # Gen2 boots the DVD only after "Press any key to boot from CD or DVD".
  boot_wait             = "2s"
  boot_command          = ["<spacebar><wait><spacebar><wait><spacebar>"]
  communicator          = "winrm"
  winrm_username        = var.admin_user
  winrm_password        = var.admin_password
  winrm_timeout         = "4h"
  shutdown_command      = "shutdown /s /t 5 /f /d p:4:1 /c \"hvkube golden image\""
  shutdown_timeout      = "30m"
  output_directory      = var.output_directory
  vm_name               = "hvkube-windows11"
}

build {
  sources = ["source.hyperv-iso.windows11"]

  provisioner "powershell" {
    scripts = [
      "scripts/enable-rdp.ps1",
      "scripts/integration-services.ps1",
    ]
  }

  provisioner "powershell" {
    environment_vars = [
      "HVKUBE_MCP_AGENT_URL=${var.mcp_agent_url}",
      "HVKUBE_MCP_AGENT_PORT=${var.mcp_agent_port}",
    ]
    script = "scripts/mcp-agent.ps1"
  }

  provisioner "windows-restart" {
    restart_timeout = "30m"
  }

  provisioner "powershell" {
    script = "scripts/finalize.ps1"
  }
}

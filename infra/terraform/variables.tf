variable "subscription_id" {
  type        = string
  description = "Azure subscription for the host."
}

variable "location" {
  type    = string
  default = "westeurope"
}

variable "name" {
  type        = string
  default     = "hvkube-host"
  description = "Prefix of every resource."
}

variable "vm_size" {
  type        = string
  default     = "Standard_D8s_v5"
  description = "Must support nested virtualization and run the x64 image: Intel Dv3/Dsv3 and later, Ev3 and later. Not the Arm64 sizes (a 'p' in the suffix, e.g. Standard_D4ps_v5) nor the AMD ones ('a', e.g. Standard_D8as_v5), which this kit does not support."
  validation {
    # RE2 has no lookahead: the Intel shape first, then no 'a' (AMD) or 'p' (Arm64) among the suffix letters.
    condition     = can(regex("^Standard_[DE][0-9]+[a-z]*_v[3-9]$", var.vm_size)) && !can(regex("^Standard_[DE][0-9]+[a-z]*[ap][a-z]*_v[0-9]+$", var.vm_size))
    error_message = "Use an Intel D- or E-series v3 or later size (e.g. Standard_D8s_v5): Hyper-V inside the VM needs nested virtualization, and Arm64 (p) and AMD (a) sizes are not supported."
  }
}

variable "admin_username" {
  type    = string
  default = "hvkadmin"
}

variable "admin_password" {
  type      = string
  sensitive = true
}

variable "allowed_ip" {
  type        = string
  description = "The one address (CIDR, e.g. 203.0.113.7/32) allowed to reach RDP and the hvkube API."
  validation {
    condition     = can(cidrhost(var.allowed_ip, 0)) && var.allowed_ip != "0.0.0.0/0"
    error_message = "Give a CIDR such as 203.0.113.7/32; the whole internet is not allowed."
  }
}

variable "api_port" {
  type    = number
  default = 8080
}

variable "data_disk_gb" {
  type        = number
  default     = 512
  description = "Premium SSD for VM disks and saved memory images (each saved VM holds its RAM size)."
}

variable "os_disk_gb" {
  type    = number
  default = 128
}

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
  description = "Must support nested virtualization: Dv3/Dsv3 and later, Ev3 and later (not the Dasv/Eav AMD sizes on older generations)."
  validation {
    condition     = can(regex("^Standard_[DE][0-9]+[a-z]*_v[3-9]$", var.vm_size))
    error_message = "Use a D- or E-series v3 or later size: Hyper-V inside the VM needs nested virtualization."
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

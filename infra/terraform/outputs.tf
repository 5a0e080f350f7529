output "public_ip" {
  value       = azurerm_public_ip.host.ip_address
  description = "RDP to this address; the hvkube API listens on api_port."
}

output "api_url" {
  value = "http://${azurerm_public_ip.host.ip_address}:${var.api_port}"
}

output "vm_directory" {
  value       = "V:\\hvkube"
  description = "Set this as the Hyper-V backend's vmDirectory."
}

output "switch_name" {
  value       = "hvkube"
  description = "Set this as the Hyper-V backend's switchName (Windows Server has no Default Switch)."
}

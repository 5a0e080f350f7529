# One Azure VM that runs Hyper-V (nested virtualization) and hvkube, with a data disk for the
# VMs and their saved states, reachable only from one IP for RDP and the hvkube API.

resource "azurerm_resource_group" "host" {
  name     = "${var.name}-rg"
  location = var.location
}

resource "azurerm_virtual_network" "host" {
  name                = "${var.name}-vnet"
  address_space       = ["10.40.0.0/16"]
  location            = azurerm_resource_group.host.location
  resource_group_name = azurerm_resource_group.host.name
}

resource "azurerm_subnet" "host" {
  name                 = "${var.name}-subnet"
  resource_group_name  = azurerm_resource_group.host.name
  virtual_network_name = azurerm_virtual_network.host.name
  address_prefixes     = ["10.40.1.0/24"]
}

resource "azurerm_public_ip" "host" {
  name                = "${var.name}-ip"
  location            = azurerm_resource_group.host.location
  resource_group_name = azurerm_resource_group.host.name
  allocation_method   = "Static"
  sku                 = "Standard"
}

resource "azurerm_network_security_group" "host" {
  name                = "${var.name}-nsg"
  location            = azurerm_resource_group.host.location
  resource_group_name = azurerm_resource_group.host.name

  security_rule {
    name                       = "rdp-from-allowed-ip"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "3389"
    source_address_prefix      = var.allowed_ip
    destination_address_prefix = "*"
  }

  security_rule {
    name                       = "hvkube-api-from-allowed-ip"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = tostring(var.api_port)
    source_address_prefix      = var.allowed_ip
    destination_address_prefix = "*"
  }

  security_rule {
    name                       = "deny-other-inbound"
    priority                   = 4000
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "Internet"
    destination_address_prefix = "*"
  }
}

resource "azurerm_network_interface" "host" {
  name                = "${var.name}-nic"
  location            = azurerm_resource_group.host.location
  resource_group_name = azurerm_resource_group.host.name

  ip_configuration {
    name                          = "primary"
    subnet_id                     = azurerm_subnet.host.id
    private_ip_address_allocation = "Dynamic"
    public_ip_address_id          = azurerm_public_ip.host.id
  }
}

resource "azurerm_network_interface_security_group_association" "host" {
  network_interface_id      = azurerm_network_interface.host.id
  network_security_group_id = azurerm_network_security_group.host.id
}

resource "azurerm_windows_virtual_machine" "host" {
  name                  = var.name
  computer_name         = "hvkube-host"
  location              = azurerm_resource_group.host.location
  resource_group_name   = azurerm_resource_group.host.name
  size                  = var.vm_size
  admin_username        = var.admin_username
  admin_password        = var.admin_password
  network_interface_ids = [azurerm_network_interface.host.id]
  # Trusted launch (vTPM) is not combined with nested virtualization here: standard security.
  secure_boot_enabled = false
  vtpm_enabled        = false

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
    disk_size_gb         = var.os_disk_gb
  }

  source_image_reference {
    publisher = "MicrosoftWindowsServer"
    offer     = "WindowsServer"
    sku       = "2022-datacenter-g2"
    version   = "latest"
  }
}

resource "azurerm_managed_disk" "vms" {
  name                 = "${var.name}-vms"
  location             = azurerm_resource_group.host.location
  resource_group_name  = azurerm_resource_group.host.name
  storage_account_type = "Premium_LRS"
  create_option        = "Empty"
  disk_size_gb         = var.data_disk_gb
}

resource "azurerm_virtual_machine_data_disk_attachment" "vms" {
  managed_disk_id    = azurerm_managed_disk.vms.id
  virtual_machine_id = azurerm_windows_virtual_machine.host.id
  lun                = 0
  # Saved-state files are written once and read on every resume: read caching helps resumes.
  caching = "ReadOnly"
}

# First boot: format the data disk as V:, install Hyper-V with its PowerShell module, create the
# NAT switch for the pools, open the API port in Windows Firewall, then reboot.
resource "azurerm_virtual_machine_extension" "setup" {
  name                 = "hvkube-host-setup"
  virtual_machine_id   = azurerm_windows_virtual_machine.host.id
  publisher            = "Microsoft.Compute"
  type                 = "CustomScriptExtension"
  type_handler_version = "1.10"

  protected_settings = jsonencode({
    commandToExecute = "powershell.exe -NoProfile -ExecutionPolicy Bypass -EncodedCommand ${textencodebase64(templatefile("${path.module}/host-setup.ps1.tftpl", { api_port = var.api_port }), "UTF-16LE")}"
  })

  depends_on = [azurerm_virtual_machine_data_disk_attachment.vms]
}

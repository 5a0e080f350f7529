/**
 * The Windows host kit in infra/ parses: Terraform through hcl2json (the parser Terraform's CDK uses),
 * the Packer template through `packer validate` when packer is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'infra');
const tfDir = path.join(here, 'terraform');
const packerDir = path.join(here, 'packer');

type Blocks = Record<string, Record<string, unknown>>;

async function terraform(): Promise<Record<string, Blocks>> {
  const merged: Record<string, Blocks> = {};
  for (const file of readdirSync(tfDir).filter((f) => f.endsWith('.tf'))) {
    const parsed = (await parse(file, readFileSync(path.join(tfDir, file), 'utf8'))) as Record<string, Blocks>;
    for (const [kind, blocks] of Object.entries(parsed)) merged[kind] = { ...merged[kind], ...blocks };
  }
  return merged;
}

const packerAvailable = spawnSync('packer', ['version'], { encoding: 'utf8' }).status === 0;

describe('infra/terraform', () => {
  it('parses and declares the host, its data disk and a locked-down NSG', async () => {
    const tf = await terraform();
    const resources = tf.resource ?? {};
    expect(Object.keys(resources)).toEqual(
      expect.arrayContaining(['azurerm_windows_virtual_machine', 'azurerm_managed_disk', 'azurerm_virtual_machine_data_disk_attachment', 'azurerm_network_security_group', 'azurerm_virtual_machine_extension']),
    );
    const nsg = JSON.stringify(resources.azurerm_network_security_group);
    expect(nsg).toContain('${var.allowed_ip}');
    expect(nsg).not.toMatch(/"source_address_prefix":\s*"\*"/);
    const vm = JSON.stringify(resources.azurerm_windows_virtual_machine);
    expect(vm).toContain('2022-datacenter');
    expect(Object.keys(tf.variable ?? {})).toEqual(expect.arrayContaining(['allowed_ip', 'vm_size', 'api_port', 'data_disk_gb']));
  });
});

describe('infra/packer', () => {
  it.skipIf(!packerAvailable)('windows11.pkr.hcl passes packer validate', () => {
    const out = execFileSync('packer', ['validate', '-syntax-only', 'windows11.pkr.hcl'], { cwd: packerDir, encoding: 'utf8' });
    expect(out).toMatch(/Syntax-only check passed/);
    const full = spawnSync('packer', ['validate', '-var', 'iso_url=C:/iso/win11.iso', '-var', 'iso_checksum=none', '-var', 'admin_password=x', 'windows11.pkr.hcl'], {
      cwd: packerDir,
      encoding: 'utf8',
    });
    expect(full.status, full.stdout + full.stderr).toBe(0);
  });

  it('uses the hyperv-iso builder for a Generation 2, Secure Boot image', () => {
    const text = readFileSync(path.join(packerDir, 'windows11.pkr.hcl'), 'utf8');
    expect(text).toMatch(/source "hyperv-iso"/);
    expect(text).toMatch(/generation\s*=\s*2/);
    expect(text).toMatch(/enable_secure_boot\s*=\s*true/);
  });
});

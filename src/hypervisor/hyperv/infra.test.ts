/**
 * The Windows host kit in infra/ parses: Terraform through hcl2json (the parser Terraform's CDK uses),
 * the Packer template through hcl2json with checks of its plugin block everywhere, and through
 * `packer init` + `packer validate` where a Packer that needs the plugin (1.9 or later) is installed
 * (HVKUBE_PACKER names one; Debian's packer 1.6 still contains hyperv-iso and proves nothing).
 */
import { spawnSync } from 'node:child_process';
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

const packerBinary = process.env.HVKUBE_PACKER || 'packer';
const packerVersion = /v?(\d+)\.(\d+)\.\d+/.exec(spawnSync(packerBinary, ['version'], { encoding: 'utf8' }).stdout ?? '');
/** 1.9 moved hyperv-iso out of the binary: only such a Packer shows a missing plugin block. */
const packerNeedsPlugins = packerVersion !== null && (Number(packerVersion[1]) > 1 || Number(packerVersion[2]) >= 9);

async function packerTemplate(): Promise<Record<string, unknown[] | Record<string, unknown>>> {
  return (await parse('windows11.pkr.hcl', readFileSync(path.join(packerDir, 'windows11.pkr.hcl'), 'utf8'))) as Record<string, unknown[] | Record<string, unknown>>;
}

/** Packer plugin name → the source types it provides (packer-plugin-hyperv: hyperv-iso, hyperv-vmcx). */
const PLUGIN_SOURCES: Record<string, string[]> = { hyperv: ['hyperv-iso', 'hyperv-vmcx'] };

function terraformRegex(condition: string): RegExp[] {
  return [...condition.matchAll(/regex\("([^"]+)"/g)].map((m) => new RegExp((m[1] ?? '').replace(/\\\\/g, '\\')));
}

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

describe('infra/terraform host-setup and sizes', () => {
  it('never restarts inside the Custom Script Extension: a scheduled task does it after the script returns', () => {
    const text = readFileSync(path.join(tfDir, 'host-setup.ps1.tftpl'), 'utf8');
    expect(text).not.toMatch(/Restart-Computer/i);
    expect(text).toMatch(/Register-ScheduledTask -TaskName 'hvkube-restart'/);
    expect(text.trimEnd()).toMatch(/exit 0$/);
  });

  it('accepts Intel D/E v3+ sizes and refuses Arm64 and AMD ones', async () => {
    const tf = await terraform();
    const size = JSON.stringify(tf.variable?.vm_size);
    const condition = /"condition":\s*"((?:[^"\\]|\\.)*)"/.exec(size)?.[1] ?? '';
    const [shape, excluded] = terraformRegex(JSON.parse(`"${condition}"`) as string);
    expect(shape && excluded).toBeTruthy();
    const ok = (s: string): boolean => shape!.test(s) && !excluded!.test(s);
    for (const s of ['Standard_D8s_v5', 'Standard_D16ds_v5', 'Standard_E8s_v3', 'Standard_D4_v4']) expect(ok(s), s).toBe(true);
    for (const s of ['Standard_D4ps_v5', 'Standard_E8pds_v5', 'Standard_D8as_v5', 'Standard_D8ads_v5', 'Standard_B2s', 'Standard_D8s_v2']) expect(ok(s), s).toBe(false);
  });
});

describe('infra/packer', () => {
  it('names the hyperv plugin in required_plugins, for every source type it uses, on a Packer that needs it', async () => {
    const hcl = await packerTemplate();
    const packerBlock = (hcl.packer as Record<string, unknown>[] | undefined)?.[0] ?? {};
    expect(packerBlock.required_version).toMatch(/>=\s*1\.(9|[1-9]\d)/);
    const plugins = ((packerBlock.required_plugins as Record<string, { source?: string; version?: string }>[] | undefined) ?? [])[0] ?? {};
    expect(plugins.hyperv?.source).toBe('github.com/hashicorp/hyperv');
    // enable_tpm and the current switch handling arrived in 1.1.1.
    expect(plugins.hyperv?.version).toMatch(/>=\s*1\.1\.[1-9]/);
    const used = Object.keys((hcl.source as Record<string, unknown> | undefined) ?? {});
    const provided = Object.keys(plugins).flatMap((p) => PLUGIN_SOURCES[p] ?? []);
    for (const type of used) expect(provided, `source type ${type}`).toContain(type);
  });

  it('has no default switch: the builder must be pointed at a switch with DHCP', async () => {
    const hcl = await packerTemplate();
    const variable = (hcl.variable as Record<string, Record<string, unknown>[]>).switch_name?.[0] ?? {};
    expect(variable).not.toHaveProperty('default');
    expect(readFileSync(path.join(packerDir, 'answer', 'autounattend.xml'), 'utf8')).not.toMatch(/cannot add one/);
  });

  it.skipIf(!packerNeedsPlugins)('packer init installs the plugin and packer validate passes (Packer 1.9 or later)', () => {
    const init = spawnSync(packerBinary, ['init', '.'], { cwd: packerDir, encoding: 'utf8' });
    expect(init.status, init.stdout + init.stderr).toBe(0);
    const full = spawnSync(
      packerBinary,
      ['validate', '-var', 'iso_url=C:/iso/win11.iso', '-var', 'iso_checksum=none', '-var', 'admin_password=x', '-var', 'switch_name=hvkube', 'windows11.pkr.hcl'],
      { cwd: packerDir, encoding: 'utf8' },
    );
    expect(full.status, full.stdout + full.stderr).toBe(0);
  });

  it('uses the hyperv-iso builder for a Generation 2, Secure Boot image', () => {
    const text = readFileSync(path.join(packerDir, 'windows11.pkr.hcl'), 'utf8');
    expect(text).toMatch(/source "hyperv-iso"/);
    expect(text).toMatch(/generation\s*=\s*2/);
    expect(text).toMatch(/enable_secure_boot\s*=\s*true/);
  });
});

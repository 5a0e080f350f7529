/**
 * The Windows host kit in infra/ parses: Terraform through hcl2json (the parser Terraform's CDK uses),
 * the Packer templates (Hyper-V: infra/packer, QEMU: infra/packer/qemu) through hcl2json with checks
 * of their plugin blocks, files and answer files everywhere, and through `packer init` +
 * `packer validate` where a Packer that needs the plugins (1.9 or later) is installed (HVKUBE_PACKER
 * names one; Debian's packer 1.6 still contains hyperv-iso and qemu and proves nothing).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'infra');
const tfDir = path.join(here, 'terraform');
const packerDir = path.join(here, 'packer');
const qemuPackerDir = path.join(packerDir, 'qemu');

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

type PackerHcl = Record<string, unknown[] | Record<string, unknown>>;

async function packerTemplate(dir = packerDir): Promise<PackerHcl> {
  return (await parse('windows11.pkr.hcl', readFileSync(path.join(dir, 'windows11.pkr.hcl'), 'utf8'))) as PackerHcl;
}

/** Packer plugin name → the source types it provides (packer-plugin-hyperv: hyperv-iso, hyperv-vmcx; packer-plugin-qemu: qemu). */
const PLUGIN_SOURCES: Record<string, string[]> = { hyperv: ['hyperv-iso', 'hyperv-vmcx'], qemu: ['qemu'] };

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

// --- shared by the Hyper-V and QEMU templates ---------------------------------------------------

/** One step down a parsed document: an object key or an array index; undefined past a missing step. */
function at(node: unknown, ...steps: (string | number)[]): unknown {
  let current = node;
  for (const step of steps) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

function list(node: unknown): unknown[] {
  return Array.isArray(node) ? node : node === undefined ? [] : [node];
}

/** Files a template reads (cd_files and provisioner scripts), `${path.root}` resolved against its folder; variable paths left out. */
function referencedFiles(hcl: PackerHcl, dir: string): string[] {
  const paths: string[] = [];
  for (const byName of Object.values((hcl.source as Record<string, Record<string, unknown[]>> | undefined) ?? {})) {
    for (const sources of Object.values(byName)) for (const source of sources) paths.push(...(list(at(source, 'cd_files')) as string[]));
  }
  for (const build of list(hcl.build)) {
    for (const provisioners of Object.values((at(build, 'provisioner') as Record<string, unknown[]> | undefined) ?? {})) {
      for (const p of provisioners) paths.push(...(list(at(p, 'script')) as string[]), ...(list(at(p, 'scripts')) as string[]));
    }
  }
  return paths.filter((p) => !p.includes('${var.')).map((p) => path.resolve(dir, p.replace('${path.root}', dir)));
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  isArray: (name) => ['settings', 'component', 'RunSynchronousCommand', 'SynchronousCommand', 'PathAndCredentials', 'LocalAccount'].includes(name),
});

function answerFile(file: string): { text: string; doc: unknown } {
  const text = readFileSync(file, 'utf8');
  const valid = XMLValidator.validate(text);
  expect(valid, `${file}: ${JSON.stringify(valid)}`).toBe(true);
  return { text, doc: xml.parse(text) as unknown };
}

function settingsPass(doc: unknown, pass: string): unknown {
  return list(at(doc, 'unattend', 'settings')).find((s) => at(s, '@pass') === pass);
}

function component(settings: unknown, name: string): unknown {
  return list(at(settings, 'component')).find((c) => at(c, '@name') === name);
}

const hypervAnswer = path.join(packerDir, 'answer', 'autounattend.xml');
const qemuAnswer = path.join(qemuPackerDir, 'autounattend.xml');

describe('infra/packer: files and secrets of both templates', () => {
  it('every file a template puts on its CD or runs as a provisioner exists', async () => {
    const hyperv = referencedFiles(await packerTemplate(), packerDir);
    const qemu = referencedFiles(await packerTemplate(qemuPackerDir), qemuPackerDir);
    expect(hyperv).toContain(hypervAnswer);
    expect(qemu).toContain(qemuAnswer);
    // The QEMU template shares the Hyper-V one's scripts rather than copies of them.
    for (const shared of ['enable-winrm.ps1', 'enable-rdp.ps1', 'mcp-agent.ps1', 'finalize.ps1']) expect(qemu).toContain(path.join(packerDir, 'scripts', shared));
    for (const file of [...hyperv, ...qemu]) expect(existsSync(file) && statSync(file).isFile(), file).toBe(true);
  });

  it('hard-codes no password: the answer files carry only the documented CHANGE-ME, the templates take it from a sensitive variable', async () => {
    for (const file of [hypervAnswer, qemuAnswer]) {
      const { text } = answerFile(file);
      const values = [...text.matchAll(/<Password>\s*<Value>([^<]*)<\/Value>/g)].map((m) => m[1]);
      expect(values.length, file).toBeGreaterThanOrEqual(2);
      expect(new Set(values), file).toEqual(new Set(['CHANGE-ME']));
    }
    for (const dir of [packerDir, qemuPackerDir]) {
      const hcl = await packerTemplate(dir);
      const password = at(hcl, 'variable', 'admin_password', 0) as Record<string, unknown>;
      expect(password.sensitive, dir).toBe(true);
      expect(password, dir).not.toHaveProperty('default');
      for (const [name, sources] of Object.entries(at(hcl, 'source') as Record<string, Record<string, unknown[]>>)) {
        for (const source of Object.values(sources)) expect(at(source, 0, 'winrm_password'), name).toBe('${var.admin_password}');
      }
    }
    for (const script of readdirSync(path.join(packerDir, 'scripts'))) {
      const text = readFileSync(path.join(packerDir, 'scripts', script), 'utf8');
      expect(text, script).not.toMatch(/password\s*=\s*['"][^'"$]/i);
      expect(text, script).not.toMatch(/ConvertTo-SecureString\s+['"]/i);
    }
  });
});

describe('infra/packer/qemu (Windows 11 on QEMU/KVM)', () => {
  it('names the qemu plugin (a release with vtpm and efi_*) in required_plugins, for every source type it uses', async () => {
    const hcl = await packerTemplate(qemuPackerDir);
    const packerBlock = (at(hcl, 'packer', 0) ?? {}) as Record<string, unknown>;
    expect(packerBlock.required_version).toMatch(/>=\s*1\.(9|[1-9]\d)/);
    const plugins = (at(packerBlock, 'required_plugins', 0) ?? {}) as Record<string, { source?: string; version?: string }>;
    expect(plugins.qemu?.source).toBe('github.com/hashicorp/qemu');
    // vtpm, tpm_device_type and efi_firmware_code/vars exist from 1.0.8 on.
    expect(plugins.qemu?.version).toMatch(/>=\s*(1\.0\.(8|9|[1-9]\d)|1\.[1-9]\d*\.\d+)/);
    const used = Object.keys((hcl.source as Record<string, unknown> | undefined) ?? {});
    expect(used).toEqual(['qemu']);
    const provided = Object.keys(plugins).flatMap((p) => PLUGIN_SOURCES[p] ?? []);
    for (const type of used) expect(provided, `source type ${type}`).toContain(type);
  });

  it('boots UEFI with Secure Boot from Debian OVMF paths (variables), with a TPM 2.0, on q35, to a qcow2', async () => {
    const hcl = await packerTemplate(qemuPackerDir);
    const source = at(hcl, 'source', 'qemu', 'windows11', 0) as Record<string, unknown>;
    expect(source).toMatchObject({
      efi_boot: true,
      efi_firmware_code: '${var.efi_firmware_code}',
      efi_firmware_vars: '${var.efi_firmware_vars}',
      vtpm: true,
      tpm_device_type: 'tpm-tis',
      machine_type: 'q35',
      format: 'qcow2',
      communicator: 'winrm',
      cd_label: 'cidata',
    });
    expect(source).not.toHaveProperty('use_tpm1');
    const code = at(hcl, 'variable', 'efi_firmware_code', 0, 'default') as string;
    const vars = at(hcl, 'variable', 'efi_firmware_vars', 0, 'default') as string;
    // The Secure Boot build, and variables with Microsoft's keys, of the same flash size.
    expect(code).toMatch(/^\/usr\/share\/OVMF\/OVMF_CODE(_4M)?\.ms\.fd$/);
    expect(vars).toMatch(/^\/usr\/share\/OVMF\/OVMF_VARS(_4M)?\.ms\.fd$/);
    expect(code.includes('_4M')).toBe(vars.includes('_4M'));
    // Windows 11 setup finds autounattend.xml at the root of a CD; the virtio-win content goes there too.
    expect(source.cd_files).toEqual(expect.arrayContaining(['${path.root}/autounattend.xml', '${var.virtio_win_dir}/*']));
    // On q35, "ide" is the AHCI controller; "sata" is refused by QEMU 7.2 ("unsupported bus type").
    expect(at(hcl, 'variable', 'disk_interface', 0, 'default')).toBe('ide');
    expect(at(hcl, 'variable', 'virtio_win_dir', 0)).not.toHaveProperty('default');
  });

  it('adds QEMU arguments without replacing the ones the builder makes (its TPM device, disks, CDs, swtpm socket)', async () => {
    const hcl = await packerTemplate(qemuPackerDir);
    const qemuargs = (at(hcl, 'source', 'qemu', 'windows11', 0, 'qemuargs') ?? []) as string[][];
    // A switch given in qemuargs replaces all of the builder's values for that switch.
    const builderOwned = ['-device', '-drive', '-chardev', '-tpmdev', '-netdev', '-machine', '-boot', '-m', '-smp', '-cdrom'];
    for (const arg of qemuargs) expect(builderOwned.map((s) => [s, `-${s}`]).flat(), JSON.stringify(arg)).not.toContain(arg[0]);
    expect(qemuargs).toContainEqual(['-global', 'driver=cfi.pflash01,property=secure,value=on']);
  });

  it.skipIf(!existsSync('/usr/share/OVMF'))("the firmware defaults exist on this host (Debian's ovmf package)", async () => {
    const hcl = await packerTemplate(qemuPackerDir);
    for (const v of ['efi_firmware_code', 'efi_firmware_vars']) {
      const file = at(hcl, 'variable', v, 0, 'default') as string;
      expect(existsSync(file), file).toBe(true);
    }
  });

  it('installs virtio-win and qemu-ga, turns RDP on, runs the optional MCP agent step, and restarts before finalizing', async () => {
    const hcl = await packerTemplate(qemuPackerDir);
    const provisioners = at(hcl, 'build', 0, 'provisioner') as Record<string, unknown[]>;
    const scripts = (provisioners.powershell ?? []).flatMap((p) => [...(list(at(p, 'scripts')) as string[]), ...(list(at(p, 'script')) as string[])]);
    expect(scripts.map((s) => path.basename(s))).toEqual(['enable-rdp.ps1', 'qemu-guest.ps1', 'mcp-agent.ps1', 'finalize.ps1']);
    expect(provisioners['windows-restart']).toHaveLength(1);
    const env = (provisioners.powershell ?? []).flatMap((p) => list(at(p, 'environment_vars')) as string[]);
    expect(env).toEqual(['HVKUBE_MCP_AGENT_URL=${var.mcp_agent_url}', 'HVKUBE_MCP_AGENT_PORT=${var.mcp_agent_port}']);
    expect(at(hcl, 'variable', 'mcp_agent_url', 0, 'default')).toBe('');
    const guest = readFileSync(path.join(packerDir, 'scripts', 'qemu-guest.ps1'), 'utf8');
    expect(guest).toMatch(/virtio-win-guest-tools\.exe/);
    expect(guest).toMatch(/qemu-ga-x86_64\.msi/);
    expect(guest).toMatch(/Set-Service -Name 'QEMU-GA' -StartupType Automatic/);
    expect(guest).toMatch(/FileSystemLabel -eq 'cidata'/);
  });

  it('answer file: well-formed, virtio-win DriverPaths, no TPM/Secure Boot bypass, auto-logon and WinRM as on Hyper-V', () => {
    const { text, doc } = answerFile(qemuAnswer);
    const pe = settingsPass(doc, 'windowsPE');
    const paths = list(at(component(pe, 'Microsoft-Windows-PnpCustomizationsWinPE'), 'DriverPaths', 'PathAndCredentials')).map((p) => at(p, 'Path') as string);
    for (const driver of ['viostor', 'vioscsi', 'NetKVM']) expect(paths, driver).toContain(`E:\\${driver}\\w11\\amd64`);
    const keys = list(at(component(pe, 'Microsoft-Windows-PnpCustomizationsWinPE'), 'DriverPaths', 'PathAndCredentials')).map((p) => at(p, '@wcm:keyValue'));
    expect(new Set(keys).size).toBe(keys.length);
    // The TPM (swtpm) and Secure Boot (OVMF .ms) are real: setup's checks pass without LabConfig.
    expect(JSON.stringify(doc)).not.toMatch(/LabConfig|BypassTPMCheck|BypassSecureBootCheck/);
    expect(text).toMatch(/<unattend xmlns="urn:schemas-microsoft-com:unattend"/);
    const setup = component(pe, 'Microsoft-Windows-Setup');
    expect(at(setup, 'ImageInstall', 'OSImage', 'InstallTo')).toEqual({ DiskID: '0', PartitionID: '3' });
    expect(at(setup, 'UserData', 'AcceptEula')).toBe('true');
    const specialize = list(at(component(settingsPass(doc, 'specialize'), 'Microsoft-Windows-Deployment'), 'RunSynchronous', 'RunSynchronousCommand')).map((c) => at(c, 'Path') as string);
    expect(specialize.some((p) => /BitLocker \/v PreventDeviceEncryption \/t REG_DWORD \/d 1/.test(p))).toBe(true);
    const shell = component(settingsPass(doc, 'oobeSystem'), 'Microsoft-Windows-Shell-Setup');
    expect(at(shell, 'AutoLogon', 'Enabled')).toBe('true');
    expect(at(shell, 'AutoLogon', 'Username')).toBe('hvkube');
    expect(at(list(at(shell, 'UserAccounts', 'LocalAccounts', 'LocalAccount'))[0], 'Group')).toBe('Administrators');
    const firstLogon = list(at(shell, 'FirstLogonCommands', 'SynchronousCommand')).map((c) => at(c, 'CommandLine') as string);
    expect(firstLogon.some((c) => c.includes("FileSystemLabel -eq 'cidata'") && c.includes('enable-winrm.ps1'))).toBe(true);
  });

  it('answer file: the oobeSystem pass is the Hyper-V one, and specialize only adds to it', () => {
    const hyperv = answerFile(hypervAnswer).doc;
    const qemu = answerFile(qemuAnswer).doc;
    expect(at(settingsPass(hyperv, 'oobeSystem'), 'component', 0, 'AutoLogon')).toBeDefined();
    expect(settingsPass(qemu, 'oobeSystem')).toEqual(settingsPass(hyperv, 'oobeSystem'));
    const commands = (doc: unknown): string[] =>
      list(at(component(settingsPass(doc, 'specialize'), 'Microsoft-Windows-Deployment'), 'RunSynchronous', 'RunSynchronousCommand')).map((c) => at(c, 'Path') as string);
    expect(commands(hyperv).length).toBeGreaterThan(0);
    expect(commands(qemu)).toEqual(expect.arrayContaining(commands(hyperv)));
    expect(component(settingsPass(qemu, 'specialize'), 'Microsoft-Windows-Shell-Setup')).toEqual(component(settingsPass(hyperv, 'specialize'), 'Microsoft-Windows-Shell-Setup'));
    // Same disk layout (EFI, MSR, Windows) and image on both.
    const setup = (doc: unknown): unknown => component(settingsPass(doc, 'windowsPE'), 'Microsoft-Windows-Setup');
    expect(at(setup(hyperv), 'DiskConfiguration', 'Disk', 'CreatePartitions')).toBeDefined();
    expect(at(setup(qemu), 'DiskConfiguration')).toEqual(at(setup(hyperv), 'DiskConfiguration'));
    expect(at(setup(qemu), 'ImageInstall')).toEqual(at(setup(hyperv), 'ImageInstall'));
  });

  it.skipIf(!packerNeedsPlugins)('packer init installs the qemu plugin and packer validate passes (Packer 1.9 or later)', () => {
    const init = spawnSync(packerBinary, ['init', '.'], { cwd: qemuPackerDir, encoding: 'utf8' });
    expect(init.status, init.stdout + init.stderr).toBe(0);
    const virtio = mkdtempSync(path.join(os.tmpdir(), 'hvk-virtio-win-'));
    try {
      const full = spawnSync(
        packerBinary,
        ['validate', '-var', 'iso_url=/srv/iso/win11.iso', '-var', 'iso_checksum=none', '-var', `virtio_win_dir=${virtio}`, '-var', 'admin_password=x', 'windows11.pkr.hcl'],
        { cwd: qemuPackerDir, encoding: 'utf8' },
      );
      expect(full.status, full.stdout + full.stderr).toBe(0);
    } finally {
      rmSync(virtio, { recursive: true, force: true });
    }
  });
});

const machineTools = ['qemu-system-x86_64', 'qemu-img', 'swtpm'].every((tool) => spawnSync(tool, ['--version']).status === 0);

describe.skipIf(!machineTools)('infra/packer/qemu: the build machine on this host\'s QEMU (software emulation)', () => {
  it('starts with the template\'s firmware, TPM, disk and network settings, OVMF writes its variables to the copy and swtpm keeps the TPM state', async () => {
    const hcl = await packerTemplate(qemuPackerDir);
    const source = at(hcl, 'source', 'qemu', 'windows11', 0) as Record<string, unknown>;
    const defaultOf = (expr: unknown): string => {
      const name = /^\$\{var\.([a-z_]+)\}$/.exec(String(expr))?.[1];
      return String(name ? at(hcl, 'variable', name, 0, 'default') : expr);
    };
    const code = defaultOf(source.efi_firmware_code);
    const varsTemplate = defaultOf(source.efi_firmware_vars);
    if (!existsSync(code) || !existsSync(varsTemplate)) return expect.fail(`install Debian's ovmf: ${code} or ${varsTemplate} is missing`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-winimg-'));
    const vars = path.join(dir, 'efivars.fd');
    const tpmState = path.join(dir, 'tpm');
    const children: ReturnType<typeof spawn>[] = [];
    try {
      copyFileSync(varsTemplate, vars);
      expect(spawnSync('qemu-img', ['create', '-f', 'qcow2', path.join(dir, 'disk.qcow2'), '64M']).status).toBe(0);
      mkdirSync(tpmState);
      // As the plugin runs swtpm (step_create_vtpm.go) and QEMU (step_run.go), with this template's values.
      const swtpm = spawn('swtpm', ['socket', '--tpmstate', `dir=${tpmState}`, '--ctrl', `type=unixio,path=${path.join(dir, 'vtpm.sock')}`, '--tpm2'], { stdio: 'ignore' });
      children.push(swtpm);
      for (let i = 0; i < 100 && !existsSync(path.join(dir, 'vtpm.sock')); i++) await new Promise((r) => setTimeout(r, 50));
      const args = [
        '-machine', `type=${String(source.machine_type)},accel=tcg`, '-m', '512M', '-display', 'none', '-vga', String(source.vga), '-qmp', 'stdio',
        '-drive', `file=${path.join(dir, 'disk.qcow2')},if=${defaultOf(source.disk_interface)},cache=writeback,discard=ignore,format=qcow2`,
        '-drive', `file=${code},if=pflash,unit=0,format=raw,readonly=on`,
        '-drive', `file=${vars},if=pflash,unit=1,format=raw`,
        '-chardev', `socket,id=vtpm,path=${path.join(dir, 'vtpm.sock')}`, '-tpmdev', 'emulator,id=tpm0,chardev=vtpm',
        '-device', `${String(source.tpm_device_type)},tpmdev=tpm0`,
        '-netdev', 'user,id=user.0', '-device', `${defaultOf(source.net_device)},netdev=user.0`,
        ...((source.qemuargs ?? []) as string[][]).flatMap((a) => [a[0] ?? '', a.slice(1).join('')]),
      ];
      const qemu = spawn('qemu-system-x86_64', args, { stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(qemu);
      let stderr = '';
      qemu.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const replies: unknown[] = [];
      createInterface({ input: qemu.stdout }).on('line', (line) => replies.push(JSON.parse(line) as unknown));
      qemu.stdin?.write('{"execute":"qmp_capabilities"}\n{"execute":"query-tpm"}\n');
      const original = readFileSync(varsTemplate);
      const tpmUsed = (): boolean => readdirSync(tpmState).some((f) => f.startsWith('tpm2-'));
      // OVMF records its boot options in the variable store and measures the boot into the TPM.
      for (let i = 0; i < 480 && qemu.exitCode === null && (readFileSync(vars).equals(original) || !tpmUsed()); i++) await new Promise((r) => setTimeout(r, 500));
      expect(qemu.exitCode, stderr).toBeNull();
      expect(replies.find((r) => Array.isArray(at(r, 'return')))).toMatchObject({ return: [{ model: String(source.tpm_device_type), options: { type: 'emulator' } }] });
      expect(readFileSync(vars).equals(original), 'OVMF wrote its variables to the copy').toBe(false);
      expect(tpmUsed(), 'swtpm holds TPM state').toBe(true);
      qemu.stdin?.write('{"execute":"quit"}\n');
      // A QEMU that does not quit is killed below; the test must not wait on it past its time-out.
      await new Promise((r) => {
        const timer = setTimeout(r, 10_000);
        qemu.once('exit', () => {
          clearTimeout(timer);
          r(undefined);
        });
      });
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 360_000);
});

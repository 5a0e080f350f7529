/**
 * Static checks of the PowerShell side and of how TypeScript reaches it: every .ps1 parses
 * (tree-sitter-powershell), takes input only through param(), never evaluates text as code, and
 * fully qualifies Hyper-V cmdlets; no TypeScript builds script text or picks a script by a
 * computed name.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCRIPT_NAMES } from './script-names.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const scriptsDir = path.join(here, 'scripts');
const srcDir = path.resolve(here, '..', '..');
const ps1Files = readdirSync(scriptsDir).filter((f) => f.endsWith('.ps1'));
const HELPERS = new Set(['_lib.ps1', 'host-loop.ps1']);

/** tree-sitter-powershell mis-parses `$x * 1MB`: expand multiplier suffixes to plain numbers first. */
export function expandMultipliers(text: string): string {
  const factor: Record<string, bigint> = { kb: 1n << 10n, mb: 1n << 20n, gb: 1n << 30n, tb: 1n << 40n, pb: 1n << 50n };
  return text.replace(/\b(\d+)(kb|mb|gb|tb|pb)\b/gi, (_m, n: string, unit: string) => String(BigInt(n) * (factor[unit.toLowerCase()] ?? 1n)));
}

let parser: Parser;

beforeAll(async () => {
  await Parser.init();
  const wasm = path.join(path.dirname(createRequire(import.meta.url).resolve('tree-sitter-powershell/package.json')), 'tree-sitter-powershell.wasm');
  parser = new Parser();
  parser.setLanguage(await Language.load(wasm));
});

function parse(file: string): Node {
  const tree = parser.parse(expandMultipliers(readFileSync(path.join(scriptsDir, file), 'utf8')));
  if (!tree) throw new Error(`no tree for ${file}`);
  return tree.rootNode;
}

function descendants(node: Node, type: string): Node[] {
  return node.descendantsOfType(type).filter((n): n is Node => n !== null);
}

function problems(node: Node): string[] {
  const out: string[] = [];
  const walk = (n: Node): void => {
    if (n.isError || n.isMissing) out.push(`${n.type} at ${n.startPosition.row + 1}:${n.startPosition.column + 1}: ${n.text.slice(0, 60)}`);
    for (const c of n.children) if (c) walk(c);
  };
  walk(node);
  return out;
}

describe('PowerShell scripts', () => {
  it('ship one .ps1 per script name, plus the host loop and the helper library', () => {
    expect(ps1Files.sort()).toEqual([...SCRIPT_NAMES.map((n) => `${n}.ps1`), ...HELPERS].sort());
  });

  it('expands multiplier literals the grammar would mis-parse', () => {
    expect(expandMultipliers('$x * 1MB + 2gb')).toBe('$x * 1048576 + 2147483648');
    expect(problems(parser.parse(expandMultipliers('$x = 4 * 1MB'))!.rootNode)).toEqual([]);
  });

  for (const file of ps1Files) {
    describe(file, () => {
      it('parses without errors and is plain ASCII', () => {
        expect(problems(parse(file))).toEqual([]);
        expect(/^[\t\n\r\x20-\x7e]*$/.test(readFileSync(path.join(scriptsDir, file), 'utf8'))).toBe(true);
      });

      it('never evaluates text as code and takes no input but its parameters', () => {
        const root = parse(file);
        const variables = descendants(root, 'variable').map((v) => v.text.toLowerCase());
        expect(variables).not.toContain('$args');
        expect(variables).not.toContain('$input');
        const commands = descendants(root, 'command_name').map((c) => c.text.toLowerCase());
        for (const banned of ['invoke-expression', 'iex', 'add-type', 'invoke-command', 'start-process', 'new-pssession']) {
          expect(commands).not.toContain(banned);
        }
        expect(root.text).not.toMatch(/\[scriptblock\]\s*::\s*create/i);
        expect(root.text).not.toMatch(/\.InvokeScript|ExpandString|NewScriptBlock/i);
      });

      it('qualifies Hyper-V cmdlets, stops on errors, and never looks VMs up by wildcard', () => {
        const root = parse(file);
        for (const command of descendants(root, 'command')) {
          const name = command.childForFieldName('command_name')?.text ?? descendants(command, 'command_name')[0]?.text ?? '';
          if (/^(Get|Set|New|Remove|Start|Stop|Save|Suspend|Resume|Checkpoint|Restore|Add|Enable|Disable)-(VM|VHD)/i.test(name)) {
            throw new Error(`${file}: ${name} is not qualified as Hyper-V\\${name}`);
          }
          if (/^Hyper-V\\/i.test(name)) {
            expect(command.text, `${file}: ${name} needs -ErrorAction Stop`).toMatch(/-ErrorAction\s+Stop|@\w+/);
            expect(command.text, `${file}: ${name} must not look up by -Name (wildcards)`).not.toMatch(/\s-(VM)?Name\s/i);
          }
        }
      });

      if (!HELPERS.has(file)) {
        it('starts with a param() block and sets $ErrorActionPreference to Stop', () => {
          const root = parse(file);
          const first = root.namedChildren.find((n) => n !== null && n.type !== 'comment');
          expect(first?.type).toBe('param_block');
          expect(root.text).toMatch(/^\$ErrorActionPreference = 'Stop'$/m);
        });
      }
    });
  }
});

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return tsFiles(full);
    return full.endsWith('.ts') && !full.endsWith('.test.ts') ? [full] : [];
  });
}

describe('TypeScript never builds PowerShell text', () => {
  const files = tsFiles(srcDir).map((f) => ({ file: path.relative(srcDir, f), text: readFileSync(f, 'utf8') }));

  it('only the bootstrap assembles a script block, and only from Base64', () => {
    const carriers = files.filter((f) => /\[scriptblock\]|FromBase64String|EncodedCommand|Invoke-Expression/i.test(f.text)).map((f) => f.file);
    // The QEMU guest agent's Windows listing is a constant script whose one variable part, the
    // guest path, travels as a Base64 literal (an alphabet with no quote): data, not code.
    const qga = path.join('hypervisor', 'qemu', 'guest-agent', 'guest-ops.ts');
    expect(carriers).toEqual([path.join('hypervisor', 'hyperv', 'protocol.ts'), qga]);
    const listing = /export function windowsListScript[\s\S]*?\n}\n/.exec(files.find((f) => f.file === qga)?.text ?? '')?.[0] ?? '';
    expect(listing.match(/\$\{[^}]*\}/g)).toEqual(['${path64}']);
    expect(listing).toContain(".toString('base64')");
    const protocol = files.find((f) => f.file.endsWith(path.join('hyperv', 'protocol.ts')))?.text ?? '';
    const body = /export function bootstrapLine[\s\S]*?\n}\n/.exec(protocol)?.[0] ?? '';
    const returned = /return \(([\s\S]*?)\);/.exec(body)?.[1] ?? '';
    const pieces = returned.split('+').map((p) => p.trim());
    const dynamic = pieces.filter((p) => !/^(['"]).*\1$/s.test(p));
    expect(dynamic).toEqual(['scriptB64', 'configB64']);
    expect(body).toMatch(/const scriptB64 = Buffer\.from\(hostLoopSource, 'utf8'\)\.toString\('base64'\);/);
    expect(body).toMatch(/const configB64 = Buffer\.from\(JSON\.stringify\(config\), 'utf8'\)\.toString\('base64'\);/);
  });

  it('every script call names a fixed script with a literal', () => {
    const allowed = new Set<string>(SCRIPT_NAMES);
    for (const { file, text } of files.filter((f) => f.file.startsWith(path.join('hypervisor', 'hyperv')))) {
      for (const m of text.matchAll(/\.call\(\s*([^,)]+)/g)) {
        const arg = (m[1] ?? '').trim();
        const literal = /^'([a-z-]+)'$/.exec(arg)?.[1];
        const passthrough = arg === 'script' && file.endsWith('session-pool.ts');
        expect(literal !== undefined ? allowed.has(literal) : passthrough, `${file}: .call(${arg}`).toBe(true);
      }
    }
  });

  it('no request script field is computed from strings', () => {
    for (const { file, text } of files) {
      expect(text, file).not.toMatch(/\bscript\s*:\s*`/);
      expect(text, file).not.toMatch(/\bscript\s*:\s*[^,}\n]*\+/);
    }
  });
});

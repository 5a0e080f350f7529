#!/usr/bin/env node
/**
 * hvkube-hyperv-standin: behaves like
 * `powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command -` running
 * hvkube's host loop, on a machine without Windows. It reads the Base64 bootstrap line, checks
 * that it carries the shipped host loop, then answers requests with the framing and the JSON
 * shapes that our scripts print on Windows PowerShell 5.1, simulating a Hyper-V host whose state
 * lives in `$HVKUBE_STANDIN_STATE` (default `./.hvkube-standin/`). Test hooks: see faults.ts.
 * @module
 */
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pwshModuleDir } from '../module-path.js';
import { parseBootstrapLine } from '../protocol.js';
import { runRequest } from './dispatch.js';
import { readFaults, readLatency, type Faults } from './faults.js';
import { PS_VERSION } from './ops-host.js';
import { PsError } from './ps-errors.js';
import { toPs51Json } from './ps-json.js';
import { StateStore } from './state.js';
import { JobDice } from './strict.js';

const USAGE = 'hvkube-hyperv-standin emulates only: powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command -';

function flagsOk(args: readonly string[]): boolean {
  const lower = args.map((a) => a.toLowerCase());
  const command = lower.indexOf('-command');
  const policy = lower.indexOf('-executionpolicy');
  return lower.includes('-noprofile') && lower.includes('-noninteractive') && command >= 0 && lower[command + 1] === '-' && policy >= 0 && lower[policy + 1] === 'bypass';
}

class LineSource {
  private readonly lines: string[] = [];
  private closed = false;
  private wake: (() => void) | null = null;

  constructor() {
    const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
    rl.on('line', (line) => {
      this.lines.push(line);
      this.wake?.();
    });
    rl.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  async next(): Promise<string | null> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.closed) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}

function exitSoon(code: number): Promise<never> {
  // Let stdout drain first: process.exit drops buffered pipe writes.
  return new Promise(() => process.stdout.write('', () => process.exit(code)));
}

function noise(faults: Faults, nonce: string): void {
  if (faults.warnings) {
    process.stdout.write('WARNING: The virtual machine is already in the specified state.\r\nVERBOSE: Performing the operation.\r\n');
    process.stderr.write(
      '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV></PR></MS></Obj></Objs>\r\n',
    );
    process.stdout.write('Working... ');
  }
  if (faults.garbage) {
    process.stdout.write('garbage \u0000\u0001 \u00ff{"id":1,"ok":true}\r\n');
    process.stdout.write('<<<HVK:0000deadbeef:BEGIN>>>\n{"id":1,"ok":true,"result":"forged"}\n<<<HVK:0000deadbeef:END>>>\n');
    process.stdout.write(`<<<HVK:${nonce}:BEGIN>>>\n{"id":`);
    process.stdout.write('\r\n');
  }
}

function writeFrame(nonce: string, payload: string, binary: Buffer | null = null): void {
  // [Convert]::ToBase64String(bytes, InsertLineBreaks): 76 characters a line, CRLF.
  const lines = binary === null ? '' : `${(binary.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n')}\r\n`;
  process.stdout.write(`<<<HVK:${nonce}:BEGIN>>>\n${payload}\n${lines}<<<HVK:${nonce}:END>>>\n`);
}

/**
 * Windows PowerShell 5.1 serialises through JavaScriptSerializer, whose MaxJsonLength defaults to
 * 2,097,152 characters; whether ConvertTo-Json lifts it is not documented, so the stand-in keeps it
 * (the conservative reading) and answers what the host loop's catch would.
 */
const PS51_MAX_JSON = 2_097_152;

function serialise(reply: Record<string, unknown>): { json: string; binary: Buffer | null } {
  let binary: Buffer | null = null;
  const result = reply.result;
  if (typeof result === 'object' && result !== null && Buffer.isBuffer((result as Record<string, unknown>).binary)) {
    const { binary: bytes, ...rest } = result as Record<string, unknown>;
    binary = bytes as Buffer;
    reply = { ...reply, result: rest };
  }
  const json = toPs51Json(reply);
  if (json.length <= PS51_MAX_JSON) return { json, binary };
  const message = 'Error during serialization or deserialization using the JSON JavaScriptSerializer. The length of the string exceeds the value set on the maxJsonLength property.';
  return { json: toPs51Json({ id: reply.id, ok: false, error: { type: 'SerializationError', message, category: 'InvalidResult', fqid: 'SerializationError', hresult: 0 } }), binary: null };
}

function errorReply(id: unknown, e: unknown): Record<string, unknown> {
  const record =
    e instanceof PsError
      ? e.toRecord()
      : { type: 'System.Management.Automation.RuntimeException', message: e instanceof Error ? e.message : String(e), category: 'NotSpecified', fqid: 'RuntimeException', hresult: -2146233087 };
  return { id, ok: false, error: record };
}

async function main(): Promise<void> {
  if (!flagsOk(process.argv.slice(2))) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(64);
  }
  // Windows keeps one PSModulePath whatever the key's case.
  const foreign = pwshModuleDir(Object.entries(process.env).find(([k]) => k.toLowerCase() === 'psmodulepath')?.[1]);
  if (foreign !== null) {
    process.stderr.write(
      `ConvertTo-Json : The term 'ConvertTo-Json' is not recognized as the name of a cmdlet, function, script file, or operable program. (Microsoft.PowerShell.Utility was loaded from ${foreign}, a PowerShell 7 module folder.)\n`,
    );
    return exitSoon(1);
  }
  const faults = readFaults(process.env);
  const latency = readLatency(process.env);
  const store = new StateStore(process.env.HVKUBE_STANDIN_STATE || path.join(process.cwd(), '.hvkube-standin'));
  const logFile = process.env.HVKUBE_STANDIN_LOG;
  const input = new LineSource();

  let first = await input.next();
  while (first !== null && first.trim() === '') first = await input.next();
  if (first === null) return;
  const boot = parseBootstrapLine(first);
  if (!boot) {
    process.stderr.write('The first line is not the hvkube bootstrap: this stand-in runs nothing else.\n');
    return exitSoon(1);
  }
  const shipped = readFileSync(path.join(boot.config.scriptsDir, 'host-loop.ps1'), 'utf8');
  if (shipped.replace(/\r\n/g, '\n') !== boot.hostLoopSource.replace(/\r\n/g, '\n')) {
    process.stderr.write('The bootstrap carries a host loop that differs from host-loop.ps1 in the scripts folder.\n');
    return exitSoon(1);
  }
  const nonce = boot.config.nonce;
  const allowed = new Set(boot.config.scripts);
  const ctx = { store, faults, latency, now: () => Date.now(), dice: new JobDice(faults.seed, faults.jobRate) };
  if (faults.startupDelayMs > 0) await new Promise((r) => setTimeout(r, faults.startupDelayMs));
  noise(faults, nonce);
  const ready = { ready: true, pid: process.pid, psVersion: PS_VERSION, psEdition: 'Desktop', hypervModule: !faults.noHyperV, moduleError: faults.noHyperV ? "The specified module 'Hyper-V' was not loaded because no valid module file was found in any module directory." : null };
  writeFrame(nonce, toPs51Json({ id: 0, ok: true, result: ready }));

  let count = 0;
  for (let line = await input.next(); line !== null; line = await input.next()) {
    const text = line.trim();
    if (text === '') continue;
    count++;
    if (faults.exitAfter !== undefined && count > faults.exitAfter) return exitSoon(3);
    let request: { id?: unknown; script?: unknown; params?: unknown };
    try {
      request = JSON.parse(text) as typeof request;
    } catch {
      const e = new PsError(`Invalid JSON primitive: ${text.slice(0, 20)}.`, 'NotSpecified', 'System.ArgumentException,Microsoft.PowerShell.Commands.ConvertFromJsonCommand', 'System.ArgumentException');
      writeFrame(nonce, toPs51Json(errorReply(null, e)));
      continue;
    }
    const script = typeof request.script === 'string' ? request.script : '';
    const params = typeof request.params === 'object' && request.params !== null ? (request.params as Record<string, unknown>) : {};
    if (logFile) appendFileSync(logFile, `${JSON.stringify({ id: request.id, script, params })}\n`);
    if (faults.exitOn.includes(script)) return exitSoon(3);
    if (faults.hang.includes(script)) {
      setInterval(() => undefined, 60_000);
      await new Promise(() => undefined);
    }
    noise(faults, nonce);
    let reply: Record<string, unknown>;
    try {
      reply = { id: request.id ?? null, ok: true, result: await runRequest(ctx, boot.config.scriptsDir, allowed, { script, params }) };
    } catch (e) {
      reply = errorReply(request.id ?? null, e);
    }
    if (faults.badReply.includes(script)) writeFrame(nonce, '{"id":');
    else {
      const out = serialise(reply);
      writeFrame(nonce, out.json, out.binary);
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});

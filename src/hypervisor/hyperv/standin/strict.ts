/**
 * The strict part of the stand-in: a script's calls are checked against the model of Hyper-V
 * before anything is simulated, and WMI methods answer as Hyper-V documents they may.
 * - a cmdlet parameter Hyper-V does not have fails like PowerShell's binder;
 * - a WMI argument name the method does not have, a missing one, or a cast to the wrong type fails
 *   like CIM's "Invalid parameter";
 * - a WMI method answers 4096 (job started) some of the time, with a seedable sequence; a script
 *   that does not wait for that job gets what it would get on a host: its own 4096 failure.
 * @module
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CASTS_FOR, CMDLETS, COMMON_PARAMETERS, JOB_STARTED, WMI_METHODS } from './hyperv-model.js';
import { PsError, wmiResult } from './ps-errors.js';
import { readScriptFacts, resolveWaits, type ScriptFacts, type WmiCall } from './script-facts.js';

/** The script and the helper library it dot-sources, as read from the scripts folder. */
export interface LoadedScript {
  script: ScriptFacts;
  lib: ScriptFacts;
}

function load(scriptsDir: string, file: string): ScriptFacts {
  return readScriptFacts(file, readFileSync(path.join(scriptsDir, file), 'utf8'));
}

export function loadScript(scriptsDir: string, name: string): LoadedScript {
  const lib = load(scriptsDir, '_lib.ps1');
  return { script: resolveWaits(load(scriptsDir, `${name}.ps1`), lib), lib };
}

function parameterNotFound(cmdlet: string, parameter: string, where: string): PsError {
  return new PsError(
    `A parameter cannot be found that matches parameter name '${parameter}'. (${where}, Hyper-V\\${cmdlet})`,
    'InvalidArgument',
    `NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.${cmdlet.replace('-', '')}`,
    'System.Management.Automation.ParameterBindingException',
    -2146233087,
  );
}

function invalidCimParameter(method: string, detail: string, where: string): PsError {
  return new PsError(
    `Invalid parameter: ${method} ${detail} (${where})`,
    'InvalidArgument',
    'HRESULT 0x80041008,Microsoft.Management.Infrastructure.CimCmdlets.InvokeCimMethodCommand',
    'Microsoft.Management.Infrastructure.CimException',
    -2146233088,
  );
}

function checkFile(facts: ScriptFacts): void {
  if (facts.unreadable.length > 0) throw new PsError(`The stand-in cannot read a call: ${facts.unreadable.join('; ')}`, 'NotImplemented', 'StandinUnreadableCall');
  for (const call of facts.cmdlets) {
    const model = CMDLETS[call.cmdlet];
    const where = `${facts.file}:${call.line}`;
    if (!model) {
      throw new PsError(`The stand-in has no model of Hyper-V\\${call.cmdlet} (${where}); add it to hyperv-model.ts with its source.`, 'NotImplemented', 'StandinNoModel');
    }
    const known = [...model.parameters, ...COMMON_PARAMETERS].map((p) => p.toLowerCase());
    const unknown = call.params.find((p) => !known.includes(p.toLowerCase()));
    if (unknown !== undefined) throw parameterNotFound(call.cmdlet, unknown, where);
  }
  for (const call of facts.wmi) checkWmiCall(facts.file, call);
}

function checkWmiCall(file: string, call: WmiCall): void {
  const model = WMI_METHODS[call.method];
  const where = `${file}:${call.line}`;
  if (!model) throw new PsError(`The stand-in has no model of WMI method ${call.method} (${where}).`, 'NotImplemented', 'StandinNoModel');
  const expected = Object.keys(model.in);
  for (const arg of call.args) {
    const name = expected.find((e) => e.toLowerCase() === arg.name.toLowerCase());
    if (name === undefined) throw invalidCimParameter(call.method, `has no argument '${arg.name}' (it takes: ${expected.join(', ') || 'none'})`, where);
    const type = model.in[name];
    if (type && arg.cast !== null && type !== 'ref' && !CASTS_FOR[type].includes(arg.cast)) {
      throw invalidCimParameter(call.method, `argument '${name}' is ${type}, the script casts it to [${arg.cast}]`, where);
    }
  }
  const missing = expected.filter((e) => !call.args.some((a) => a.name.toLowerCase() === e.toLowerCase()));
  if (missing.length > 0) throw invalidCimParameter(call.method, `is missing argument(s) ${missing.join(', ')}`, where);
}

/** Refuses a script whose calls Hyper-V would refuse. */
export function assertScriptMatchesModel(loaded: LoadedScript): void {
  checkFile(loaded.lib);
  checkFile(loaded.script);
}

/** mulberry32: a small deterministic sequence, so a seed reproduces which calls answer 4096. */
export class JobDice {
  private state: number;
  constructor(
    seed: number,
    private readonly rate: number,
  ) {
    this.state = seed >>> 0;
  }

  next(): boolean {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return r < this.rate;
  }
}

/**
 * One WMI method call as the running script makes it: the script must call it, and when Hyper-V
 * answers 4096 the script must wait for the job. Answers whether the call went through a job.
 */
export function invokeWmi(loaded: LoadedScript, dice: JobDice, method: string): boolean {
  const call = loaded.script.wmi.find((c) => c.method === method);
  if (!call) throw new Error(`stand-in: ${loaded.script.file} does not call ${method}`);
  if (!dice.next()) return false;
  if (!call.waited) throw wmiResult(method, JOB_STARTED);
  return true;
}

/** The script calls this cmdlet (anywhere in its own text). */
export function calls(loaded: LoadedScript, cmdlet: string): boolean {
  return loaded.script.cmdlets.some((c) => c.cmdlet === cmdlet);
}

/** Index of the first call of `cmdlet` in the script, or -1. */
export function callIndex(loaded: LoadedScript, cmdlet: string): number {
  return loaded.script.cmdlets.findIndex((c) => c.cmdlet === cmdlet);
}

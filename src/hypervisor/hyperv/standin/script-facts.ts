/**
 * What a script calls, read from its text: Hyper-V cmdlets with the parameters they are given
 * (inline or splatted from a hashtable), and WMI methods with their argument names and casts.
 * The stand-in cannot run PowerShell; it checks these calls against its model of Hyper-V
 * (hyperv-model.ts) and lets the simulation follow what the script actually calls. Our scripts'
 * house style (one statement per line, literal method names, hashtable literals) keeps this
 * reading simple; a call it cannot read is reported, never guessed.
 * @module
 */

export interface CmdletCall {
  cmdlet: string;
  params: string[];
  line: number;
}

export interface WmiArgument {
  name: string;
  /** The cast written before the value (`[uint32]$x` → `uint32`), if any. */
  cast: string | null;
}

export interface WmiCall {
  method: string;
  args: WmiArgument[];
  /** The command that invokes it: `Invoke-CimMethod`, or a helper of _lib.ps1. */
  via: string;
  /** The result reaches code that waits for a 4096 job (Msvm_ConcreteJob) before using it. */
  waited: boolean;
  line: number;
}

export interface ScriptFacts {
  file: string;
  /** The script's text (LF line ends). */
  source: string;
  cmdlets: CmdletCall[];
  wmi: WmiCall[];
  /** Function name → body, for functions the file defines. */
  functions: Map<string, string>;
  /** Problems reading a call (e.g. a splat whose hashtable is not a literal). */
  unreadable: string[];
}

/** Blanks the content of single-quoted strings and drops comments, keeping line numbers. */
function codeOnly(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/'[^']*'/g, "''").replace(/(^|\s)#.*$/, '$1'))
    .join('\n');
}

/** The text from `open` (index of `{` or `(`) to its matching closer. */
function balanced(text: string, open: number): string {
  const o = text[open];
  const c = o === '{' ? '}' : ')';
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === o) depth++;
    if (text[i] === c && --depth === 0) return text.slice(open + 1, i);
  }
  return text.slice(open + 1);
}

/** Keys of a hashtable literal body (`A = 1; B = 2` or one per line). */
function hashtableKeys(body: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '{' || ch === '(' || ch === '[') depth++;
    if (ch === '}' || ch === ')' || ch === ']') depth--;
    if (depth === 0 && (ch === ';' || ch === '\n')) {
      keys.push(current);
      current = '';
    } else current += ch;
  }
  keys.push(current);
  return keys.map((k) => /^\s*(\w+)\s*=/.exec(k)?.[1]).filter((k): k is string => k !== undefined);
}

function hashtableEntries(body: string): WmiArgument[] {
  const out: WmiArgument[] = [];
  for (const m of body.matchAll(/(?:^|[;\n{]|\s)(\w+)\s*=\s*(\[([\w.]+)\])?/g)) {
    if (m[1]) out.push({ name: m[1], cast: m[3]?.toLowerCase() ?? null });
  }
  return out;
}

/** The hashtable literal assigned to `$name` (`$name = @{ ... }`), plus keys added later. */
function splatKeys(code: string, name: string): string[] | null {
  const assign = new RegExp(`\\$${name}\\s*=\\s*@\\{`, 'i').exec(code);
  if (!assign) return null;
  return hashtableKeys(balanced(code, assign.index + assign[0].length - 1));
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** The segment of a command: up to a pipe or an unbalanced closing parenthesis on its line. */
function commandSegment(code: string, start: number): string {
  let depth = 0;
  let out = '';
  for (let i = start; i < code.length; i++) {
    const ch = code[i];
    if (ch === '\n' && !out.trimEnd().endsWith('`')) break;
    if (ch === '(' || ch === '{' || ch === '[') depth++;
    if (ch === ')' || ch === '}' || ch === ']') {
      if (depth === 0) break;
      depth--;
    }
    if (ch === '|' && depth === 0) break;
    out += ch;
  }
  return out;
}

/** The text with every `{ ... }` block emptied. */
function withoutBlocks(text: string): string {
  let depth = 0;
  let out = '';
  for (const ch of text) {
    if (ch === '{') {
      if (depth === 0) out += '{';
      depth++;
      continue;
    }
    if (ch === '}') {
      depth = Math.max(0, depth - 1);
      if (depth === 0) out += '}';
      continue;
    }
    if (depth === 0) out += ch;
  }
  return out;
}

export function readScriptFacts(file: string, text: string): ScriptFacts {
  const raw = text.replace(/\r\n/g, '\n');
  const code = codeOnly(raw);
  const facts: ScriptFacts = { file, source: raw, cmdlets: [], wmi: [], functions: new Map(), unreadable: [] };

  for (const m of code.matchAll(/^\s*function\s+([\w-]+)\s*\{/gm)) {
    if (m[1]) facts.functions.set(m[1], balanced(code, m.index + m[0].length - 1));
  }

  // Module-qualified calls: Hyper-V's, and the PowerShell Direct / remoting cmdlets of the core modules.
  for (const m of code.matchAll(/(?:Hyper-V|Microsoft\.PowerShell\.Core|Microsoft\.PowerShell\.Management)\\([A-Za-z]+-[A-Za-z]+)/g)) {
    const cmdlet = m[1] ?? '';
    // A script block argument is code that runs elsewhere (in the guest): its own parameters are not this call's.
    const segment = withoutBlocks(commandSegment(code, m.index + m[0].length));
    const params = [...segment.matchAll(/(?:^|\s)-([A-Za-z]+)(?=[\s:]|$)/g)].map((p) => p[1] ?? '');
    for (const splat of segment.matchAll(/(?:^|\s)@(\w+)/g)) {
      const keys = splatKeys(code, splat[1] ?? '');
      if (keys === null) facts.unreadable.push(`${file}:${lineOf(code, m.index)} splats @${splat[1]}, which is not a hashtable literal`);
      else params.push(...keys);
      // Keys added after the literal: $name['Key'] = ... (the key itself is a quoted string in the raw text).
      for (const added of raw.matchAll(new RegExp(`\\$${splat[1]}\\['(\\w+)'\\]\\s*=`, 'g'))) params.push(added[1] ?? '');
    }
    facts.cmdlets.push({ cmdlet, params, line: lineOf(code, m.index) });
  }

  const rawLines = raw.split('\n');
  rawLines.forEach((line, i) => {
    const method = /-MethodName\s+'(\w+)'/.exec(line);
    if (!method?.[1]) return;
    const via = /Invoke-CimMethod/.test(line) ? 'Invoke-CimMethod' : (/([A-Z][a-z]+-Hvk\w+)[^|]*-MethodName/.exec(line)?.[1] ?? 'unknown');
    let args: WmiArgument[] = [];
    const inline = /-Arguments\s+@\{/.exec(line);
    const variable = /-Arguments\s+\$(\w+)/.exec(line);
    if (inline) args = hashtableEntries(balanced(line, inline.index + inline[0].length - 1));
    else if (variable?.[1]) {
      const assign = new RegExp(`\\$${variable[1]}\\s*=\\s*@\\{`).exec(raw);
      if (assign) args = hashtableEntries(balanced(raw, assign.index + assign[0].length - 1));
      else facts.unreadable.push(`${file}:${i + 1} passes -Arguments $${variable[1]}, which is not a hashtable literal`);
    }
    facts.wmi.push({ method: method[1], args, via, waited: false, line: i + 1 });
  });
  return facts;
}

/** A function that waits on the job of a 4096 answer before its caller uses the result. */
export function waitsForJobs(body: string | undefined): boolean {
  return body !== undefined && /4096/.test(body) && /Msvm_ConcreteJob|JobState/.test(body) && /JobState/.test(body);
}

/** Marks each WMI call of `facts` as waited when it goes through a helper of `lib` that waits. */
export function resolveWaits(facts: ScriptFacts, lib: ScriptFacts): ScriptFacts {
  for (const call of facts.wmi) call.waited = call.via !== 'Invoke-CimMethod' && waitsForJobs(lib.functions.get(call.via));
  return facts;
}

/** The cmdlet calls made inside one function of a file (e.g. the lookup helper of _lib.ps1). */
export function callsInFunction(facts: ScriptFacts, fn: string): CmdletCall[] {
  const body = facts.functions.get(fn);
  return body === undefined ? [] : readScriptFacts(`${facts.file}:${fn}`, body).cmdlets;
}

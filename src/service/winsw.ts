/**
 * The Windows service definition. A Windows service must answer the Service Control Manager,
 * which node.exe does not, so the service binary is the WinSW wrapper and this is its XML file
 * (every value XML-escaped). The wrapper runs `node hvkube serve`, restarts it on failure, keeps
 * rolling log files, and asks for the account's password at install (it is never written here).
 * @module
 */
import { serveArgv, type ServiceOptions } from './definition.js';

export function xmlEscape(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * Joins arguments into one Windows command line as CommandLineToArgvW splits it: quotes where
 * needed, backslashes before a quote doubled.
 */
export function windowsCommandLine(args: readonly string[]): string {
  return args
    .map((a) => {
      if (a !== '' && !/[\s"]/.test(a)) return a;
      return `"${a.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
    })
    .join(' ');
}

export function winswXml(o: ServiceOptions): string {
  const [node, ...args] = serveArgv(o);
  const env = { HVKUBE_DATA_DIR: o.dataDir, ...o.env };
  const lines = [
    '<service>',
    `  <id>${xmlEscape(o.name)}</id>`,
    `  <name>${xmlEscape(o.name)}</name>`,
    '  <description>hvkube: pools of saved desktop VMs (hvkube serve)</description>',
    `  <executable>${xmlEscape(node ?? '')}</executable>`,
    `  <arguments>${xmlEscape(windowsCommandLine(args))}</arguments>`,
    `  <workingdirectory>${xmlEscape(o.dataDir)}</workingdirectory>`,
    ...Object.entries(env).map(
      ([k, v]) => `  <env name="${xmlEscape(k)}" value="${xmlEscape(v)}"/>`,
    ),
    ...(o.account === null
      ? []
      : [
          `  <serviceaccount>`,
          `    <username>${xmlEscape(o.account)}</username>`,
          '    <allowservicelogon>true</allowservicelogon>',
          '    <prompt>console</prompt>',
          '  </serviceaccount>',
        ]),
    '  <startmode>Automatic</startmode>',
    '  <delayedAutoStart>true</delayedAutoStart>',
    // Hyper-V's management service first, so the backend finds Hyper-V at start.
    '  <depend>vmms</depend>',
    '  <onfailure action="restart" delay="10 sec"/>',
    '  <onfailure action="restart" delay="30 sec"/>',
    '  <resetfailure>1 hour</resetfailure>',
    '  <stoptimeout>120 sec</stoptimeout>',
    `  <logpath>${xmlEscape(o.logDir)}</logpath>`,
    '  <log mode="roll-by-size"><sizeThreshold>10240</sizeThreshold><keepFiles>8</keepFiles></log>',
    '</service>',
    '',
  ];
  return lines.join('\r\n');
}

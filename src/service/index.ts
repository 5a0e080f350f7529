export { validateServiceOptions, serveArgv, type ServiceOptions } from './definition.js';
export { systemdUnit, systemdQuote, systemdUnitPath } from './systemd.js';
export { winswXml, xmlEscape, windowsCommandLine } from './winsw.js';
export {
  installPlan,
  uninstallPlan,
  statusCommand,
  executePlan,
  serviceStatus,
  type ServicePlan,
  type ServicePlatform,
  type ServiceStatus,
  type WindowsWrapper,
} from './install.js';

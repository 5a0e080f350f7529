/**
 * The Hyper-V backend's front door.
 * @module
 */
export { createHypervHypervisor, HypervHypervisor, hostPathFlavour } from './backend.js';
export { hypervConfigSchema, resolveHypervConfig, type HypervConfig, type HypervConfigInput } from './config.js';
export { hypervDoctor, type DoctorCheck, type DoctorOptions } from './doctor.js';
export { writeRdpFile, rdpFileContent, type RdpOptions } from './rdp.js';
export { PowerShellSession, type ScriptRunner, type SessionOptions, type ReadyInfo, type CallOptions } from './powershell-session.js';
export { SessionPool } from './session-pool.js';
export { SCRIPT_NAMES, type ScriptName, type ScriptParams } from './script-names.js';
export { defaultScriptsDir } from './paths.js';

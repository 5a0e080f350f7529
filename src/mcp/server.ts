/**
 * An MCP server for one client session: the hvkube tools bound to that client's ownership map.
 * @module
 */
import { McpServer } from '@modelcontextprotocol/server';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import { silentLogger, type Logger } from '../_util/logger.js';
import type { AgentsPort } from './agents.js';
import type { McpSession } from './session.js';
import { registerAgentTools } from './tools-agents.js';
import { registerConsoleTools } from './tools-console.js';
import { registerGuestTools } from './tools-guest.js';
import { registerInputTools } from './tools-input.js';
import { registerDesktopTools } from './tools-desktop.js';

export const MCP_SERVER_INFO = { name: 'hvkube', version: '0.1.0' } as const;

const INSTRUCTIONS =
  'hvkube hands out desktop VMs that resume in about a second. Typical use: list_pools, acquire_desktop(pool), ' +
  'then screenshot / click / type_text / press_keys on the vm_name it answers, and release_desktop when done. ' +
  'Coordinates are full-size screen pixels. A session drives the desktops it acquired; pass lease_id (answered by acquire_desktop) ' +
  'to drive or release a desktop acquired in another session, e.g. when every call opens a new session.';

export interface McpServerDeps {
  orchestrator: Orchestrator;
  session: McpSession;
  /** The agent scheduler; without it submit_agent and agent_status are not offered. */
  agents?: AgentsPort | null;
  logger?: Logger;
}

export function createHvkubeMcpServer(deps: McpServerDeps): McpServer {
  const server = new McpServer(MCP_SERVER_INFO, { instructions: INSTRUCTIONS });
  const toolDeps = {
    orch: deps.orchestrator,
    session: deps.session,
    agents: deps.agents ?? null,
    logger: deps.logger ?? silentLogger,
  };
  registerDesktopTools(server, toolDeps);
  registerConsoleTools(server, toolDeps);
  registerGuestTools(server, toolDeps);
  registerInputTools(server, toolDeps);
  if (toolDeps.agents) registerAgentTools(server, toolDeps.agents, toolDeps);
  return server;
}

/**
 * What every MCP tool module gets: the orchestrator, the calling client's session, the agent
 * scheduler when the server runs one, and a logger (stderr under stdio: stdout is the protocol).
 * @module
 */
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { Logger } from '../_util/logger.js';
import type { AgentsPort } from './agents.js';
import type { McpSession } from './session.js';

export interface ToolDeps {
  orch: Orchestrator;
  session: McpSession;
  agents: AgentsPort | null;
  logger: Logger;
}

/**
 * The MCP face: hvkube's desktops as tools for automation clients, over stdio and HTTP.
 * @module
 */
export { createMcpHttpHandler, type McpHttpHandler, type McpHttpOptions } from './http.js';
export { runMcpStdio, type McpStdioOptions } from './stdio.js';
export { createHvkubeMcpServer, MCP_SERVER_INFO, type McpServerDeps } from './server.js';
export { McpSession, DEFAULT_MCP_LEASE_TTL_MS, type McpSessionOptions } from './session.js';
export type { AgentsPort, AgentSubmission, WorkflowInfo } from './agents.js';

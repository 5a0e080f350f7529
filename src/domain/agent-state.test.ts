import { describe, expect, it } from 'vitest';
import { AGENT_STATUSES, agentTransition, isFinalAgentStatus, tryAgentTransition, type AgentEvent, type AgentStatus } from './agent-state.js';
import { isHvkubeError } from './errors.js';

const ALLOWED: [AgentStatus, AgentEvent, AgentStatus][] = [
  ['pending', 'schedule', 'scheduled'],
  ['scheduled', 'start', 'running'],
  ['running', 'complete', 'completed'],
  ['pending', 'fail', 'failed'],
  ['scheduled', 'fail', 'failed'],
  ['running', 'fail', 'failed'],
  ['pending', 'cancel', 'cancelled'],
  ['scheduled', 'cancel', 'cancelled'],
  ['running', 'cancel', 'cancelled'],
  ['scheduled', 'timeout', 'timed_out'],
  ['running', 'timeout', 'timed_out'],
  ['scheduled', 'requeue', 'pending'],
  ['running', 'requeue', 'pending'],
];
const EVENTS: AgentEvent[] = ['schedule', 'start', 'complete', 'fail', 'cancel', 'timeout', 'requeue'];

describe('agent lifecycle', () => {
  for (const status of AGENT_STATUSES) {
    for (const event of EVENTS) {
      const allowed = ALLOWED.find(([s, e]) => s === status && e === event);
      it(`${status} --${event}--> ${allowed ? allowed[2] : 'refused'}`, () => {
        if (allowed) {
          expect(agentTransition(status, event)).toBe(allowed[2]);
          return;
        }
        expect(tryAgentTransition(status, event)).toBeUndefined();
        expect(() => agentTransition(status, event)).toThrow();
        try {
          agentTransition(status, event, 'a1');
        } catch (e) {
          expect(isHvkubeError(e, 'AGENT_INVALID_STATE')).toBe(true);
        }
      });
    }
  }

  it('final statuses accept no event at all', () => {
    for (const status of AGENT_STATUSES.filter(isFinalAgentStatus)) {
      for (const event of EVENTS) expect(tryAgentTransition(status, event)).toBeUndefined();
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { ReleasePolicy } from '../../domain/types.js';
import type { PoolStatus } from '../../orchestrator/orchestrator.js';
import type { ResetMethod } from '../../orchestrator/reset.js';
import { poolDetails } from './pool.js';

function status(resetMethod: ResetMethod, releasePolicy: ReleasePolicy): PoolStatus {
  return {
    pool: { name: 'p', template: 't', desired: 2, warm: 2, hot: 0, maxPerHost: null, releasePolicy, maxRunning: null, autoscale: null, lifetime: { idleTimeoutS: null, idleAction: 'release', maxLeaseS: null, maxVmAgeS: null }, createdAt: '2026-01-01T00:00:00.000Z' },
    counts: { saved: 2 },
    total: 2,
    ready: 2,
    inUse: 0,
    health: { degraded: null, lastError: null, failures: 0, retryAt: 0 },
    resetMethod,
    autoscale: null,
  };
}

describe('hvkube pool show: details under the table', () => {
  it('says a cold-boot pool resets slowly, and that release policy reset costs a cold boot per release', () => {
    const text = poolDetails(status('cold-boot', 'reset'));
    expect(text).toContain('release policy: reset (a released VM goes back to clean by a cold-boot reset)\n');
    expect(text).toMatch(/^resets: cold-boot \(fresh disk, cold boot and save .*as slow as provisioning a VM\)$/m);
  });

  it('says a checkpoint pool resets without a boot, and explains the release policy', () => {
    const text = poolDetails(status('checkpoint', 'save'));
    expect(text).toBe(
      'states: saved: 2\n' +
        'release policy: save (a released VM is saved with its session)\n' +
        'resets: checkpoint (restore of the clean checkpoint, no boot)\n' +
        'lifetime policies: none\n',
    );
  });
});

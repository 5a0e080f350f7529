import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './load.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function withConfig(config: unknown): string {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hvk-config-'));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('loadConfig', () => {
  it('reads api.allowedHosts, and refuses entries that are not bare host names', () => {
    expect(loadConfig({ dataDir: withConfig({ api: { allowedHosts: ['hvkube.example.org', 'desk-01', '[::1]'] } }) }, {}).api.allowedHosts).toEqual(['hvkube.example.org', 'desk-01', '[::1]']);
    for (const bad of ['http://hvkube.example.org', 'hvkube.example.org:8080', '*.example.org', 'a b', '']) {
      rmSync(dir, { recursive: true, force: true });
      expect(() => loadConfig({ dataDir: withConfig({ api: { allowedHosts: [bad] } }) }, {}), bad).toThrow(/api\.allowedHosts\.0/);
    }
  });

  it('holds HVKUBE_API_TOKEN to the rules of api.tokens, and never echoes it', () => {
    const d = withConfig({});
    expect(loadConfig({ dataDir: d }, { HVKUBE_API_TOKEN: 'a-long-enough-token-123' }).api.tokens).toEqual(['a-long-enough-token-123']);
    expect(loadConfig({ dataDir: d }, { HVKUBE_API_TOKEN: '' }).api.tokens).toEqual([]);
    for (const token of ['x', '                    ', 'fifteen-chars-x', 'has a space in the middle', 'tab\tinside-a-long-token']) {
      let message = '';
      try {
        loadConfig({ dataDir: d }, { HVKUBE_API_TOKEN: token });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, JSON.stringify(token)).toMatch(/^HVKUBE_API_TOKEN is not a usable token/);
      if (token.trim()) expect(message).not.toContain(token);
    }
  });

  it('accepts PostgreSQL URLs only, from the flag, the environment or the file', () => {
    const d = withConfig({});
    expect(loadConfig({ dataDir: d }, {}).databaseUrl).toBeNull();
    expect(loadConfig({ dataDir: d }, { HVKUBE_DATABASE_URL: 'postgresql://u@db/hvkube' }).databaseUrl).toBe('postgresql://u@db/hvkube');
    expect(loadConfig({ dataDir: d, databaseUrl: 'POSTGRES://u@db/x' }, {}).databaseUrl).toBe('POSTGRES://u@db/x');
    expect(() => loadConfig({ dataDir: d }, { HVKUBE_DATABASE_URL: 'postgress://u@db/hvkube' })).toThrow(/HVKUBE_DATABASE_URL uses the scheme "postgress"/);
    expect(() => loadConfig({ dataDir: d, databaseUrl: 'mysql://u@db/x' }, {})).toThrow(/the databaseUrl option uses the scheme "mysql"/);
    rmSync(dir, { recursive: true, force: true });
    expect(() => loadConfig({ dataDir: withConfig({ databaseUrl: 'sqlite:///tmp/x.db' }) }, {})).toThrow(/databaseUrl in config.json uses the scheme "sqlite"/);
    expect(() => loadConfig({ dataDir: d }, { HVKUBE_DATABASE_URL: 'db.example:5432/hvkube' })).toThrow(/HVKUBE_DATABASE_URL is not a URL/);
  });

  it('reads qemu.network: user by default, bridge with a plain bridge name only', () => {
    expect(loadConfig({ dataDir: withConfig({}) }, {}).qemu.network).toEqual({ mode: 'user' });
    rmSync(dir, { recursive: true, force: true });
    expect(loadConfig({ dataDir: withConfig({ qemu: { network: { mode: 'bridge', bridge: 'br0' } } }) }, {}).qemu.network).toEqual({ mode: 'bridge', bridge: 'br0' });
    for (const network of [{ mode: 'bridge' }, { mode: 'bridge', bridge: 'br0,helper=/tmp/x' }, { mode: 'bridge', bridge: 'br 0' }, { mode: 'user', bridge: 'br0' }, { mode: 'tap' }]) {
      rmSync(dir, { recursive: true, force: true });
      expect(() => loadConfig({ dataDir: withConfig({ qemu: { network } }) }, {}), JSON.stringify(network)).toThrow(/qemu\.network/);
    }
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { asArray, enumName, firstIPv4, heartbeatVerdict, normaliseAdapter, normaliseHost, normaliseVm, psDate, timeSpanSeconds, toHvState, VM_STATE_NAMES } from './normalise.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const load = (name: string): unknown => JSON.parse(readFileSync(path.join(fixtures, name), 'utf8'));

describe('normalising real Windows PowerShell 5.1 output (fixtures)', () => {
  it('Get-VM: integer state, null heartbeat, TimeSpan uptime, \\/Date()\\/ creation time', () => {
    const raw = load('get-vm.ps51.json');
    const vms = asArray(raw).map(normaliseVm);
    expect(vms).toHaveLength(1);
    expect(vms[0]).toMatchObject({
      id: '416e49fd-28dd-413c-9743-aa3e69e4807d',
      name: 'mockvm1',
      stateName: 'Off',
      state: 'off',
      heartbeat: null,
      uptimeSeconds: 0,
      memoryAssignedBytes: 0,
      memoryStartupBytes: 4294967296,
      processorCount: 4,
      generation: 1,
      automaticStopAction: 'Save',
      parentCheckpointName: null,
      path: 'C:\\Hyper-V',
    });
    expect(vms[0]?.creationTime?.toISOString()).toBe('2017-03-07T06:48:34.761Z');
    // A single VM arrives as a bare object unless the script forces an array.
    expect(normaliseVm((raw as unknown[])[0])).toEqual(vms[0]);
    expect(asArray((raw as unknown[])[0])).toHaveLength(1);
  });

  it('Get-VMNetworkAdapter: IPAddresses as "", null or an array', () => {
    const raw = (load('get-vm-network-adapter.ps51.json') as Record<string, unknown>[])[0] ?? {};
    expect(normaliseAdapter(raw)).toEqual({ name: 'NetworkAdapter', macAddress: '00155D1FD216', switchName: 'mock-switch', ipAddresses: [] });
    expect(normaliseAdapter({ ...raw, IPAddresses: null }).ipAddresses).toEqual([]);
    const withIps = normaliseAdapter({ ...raw, IPAddresses: ['169.254.3.4', 'fe80::1', '172.20.1.5'] });
    expect(firstIPv4([withIps])).toBe('172.20.1.5');
    expect(normaliseAdapter({ ...raw, IPAddresses: '10.0.0.7' }).ipAddresses).toEqual(['10.0.0.7']);
  });

  it('Get-VMHost: memory in bytes, logical processors', () => {
    const host = normaliseHost(asArray(load('get-vm-host.ps51.json'))[0]);
    expect(host).toMatchObject({ logicalProcessorCount: 24, memoryCapacityBytes: 38644006912, hostname: 'MOCK-HOST', virtualHardDiskPath: 'C:\\Hyper-V\\VirtualHardDisks' });
  });
});

describe('normalisation rules', () => {
  it('maps every VMState integer and accepts names', () => {
    expect(Object.keys(VM_STATE_NAMES)).toHaveLength(29);
    expect([2, 3, 6, 9, 10, 32773, 4].map(toHvState)).toEqual(['running', 'off', 'saved', 'paused', 'starting', 'saving', 'stopping']);
    expect(['Running', 'Saved', '6', 'RunningCritical', 32783, 99999, null].map(toHvState)).toEqual(['running', 'saved', 'saved', 'other', 'other', 'other', 'other']);
    expect(enumName(5, { 5: 'Standard' })).toBe('Standard');
  });

  it('reads lists in every shape 5.1 prints', () => {
    expect(asArray(null)).toEqual([]);
    expect(asArray(undefined)).toEqual([]);
    expect(asArray('')).toEqual([]);
    expect(asArray({ value: [1, 2], Count: 2 })).toEqual([1, 2]);
    expect(asArray([1])).toEqual([1]);
  });

  it('reads dates and time spans', () => {
    expect(psDate('/Date(0)/')?.getTime()).toBe(0);
    expect(psDate('\\/Date(1488869314761)\\/')?.getTime()).toBe(1488869314761);
    expect(psDate('2021-08-05T16:13:05.6394416-07:00')?.toISOString()).toBe('2021-08-05T23:13:05.639Z');
    expect(psDate('')).toBeNull();
    expect(timeSpanSeconds({ Ticks: 36000000000, TotalSeconds: 3600 })).toBe(3600);
    expect(timeSpanSeconds('6.02:21:14')).toBe(6 * 86400 + 2 * 3600 + 21 * 60 + 14);
    expect(timeSpanSeconds(null)).toBe(0);
  });

  it('reads our own projection (camelCase, names as text)', () => {
    const vm = normaliseVm({ id: 'ABC', name: 'a', state: 'Saved', heartbeat: '', checkpoints: ['clean'], memoryStartupBytes: 2147483648, processorCount: 2 });
    expect(vm).toMatchObject({ id: 'abc', state: 'saved', heartbeat: null, checkpoints: ['clean'] });
  });

  it('turns heartbeat facts into a verdict', () => {
    expect(heartbeatVerdict({ state: 'Running', primaryOperationalStatus: 'Ok' })).toBe('ok');
    expect(heartbeatVerdict({ state: 'Running', primaryOperationalStatus: 2 })).toBe('ok');
    expect(heartbeatVerdict({ state: 'Running', primaryStatusDescription: 'No Contact' })).toBe('no-contact');
    expect(heartbeatVerdict({ state: 'Running', heartbeat: 'OkApplicationsUnknown' })).toBe('ok');
    expect(heartbeatVerdict({ state: 'Off', heartbeat: null })).toBe('no-contact');
    expect(heartbeatVerdict({ state: 'Running', enabled: false, primaryOperationalStatus: 'Degraded' })).toBe('unknown');
  });

  it('reads the VMState numbers of the Hyper-V 2.0 module: Hibernated and ComponentServicing before the *Critical states', () => {
    expect(VM_STATE_NAMES[32783]).toBe('Hibernated');
    expect(VM_STATE_NAMES[32784]).toBe('ComponentServicing');
    expect(VM_STATE_NAMES[32785]).toBe('RunningCritical');
    expect(VM_STATE_NAMES[32788]).toBe('SavedCritical');
    expect(VM_STATE_NAMES[32796]).toBe('FastSavingCritical');
    expect(normaliseVm({ Id: 'a', Name: 'a', State: 32783 })).toMatchObject({ state: 'other', stateName: 'Hibernated' });
    expect(normaliseVm({ Id: 'a', Name: 'a', State: 32788 })).toMatchObject({ state: 'other', stateName: 'SavedCritical' });
  });

  it('counts every heartbeat whose guest answers as ok, critical applications included, and nothing else', () => {
    for (const ok of ['OkApplicationsUnknown', 'OkApplicationsHealthy', 'OkApplicationsCritical']) {
      expect(heartbeatVerdict({ state: 'Running', heartbeat: ok }), ok).toBe('ok');
    }
    for (const not of ['NoContact', 'LostCommunication']) expect(heartbeatVerdict({ state: 'Running', heartbeat: not }), not).toBe('no-contact');
    // A made-up name that merely starts with "Ok" is not a guest that answers.
    expect(heartbeatVerdict({ state: 'Running', heartbeat: 'Okay' })).not.toBe('ok');
  });
});

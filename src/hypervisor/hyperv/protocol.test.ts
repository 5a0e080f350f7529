import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chordsToWire, segmentText } from './console-input.js';
import { classifyPsError, mapPsError } from './errors.js';
import { asciiJson, beginMarker, bootstrapLine, endMarker, FrameReader, parseBootstrapLine, parseReply } from './protocol.js';
import { rdpFileContent, writeRdpFile } from './rdp.js';
import { rgb565ToRgb, thumbnailToFrame } from './screenshot.js';
import { toPs51Json } from './standin/ps-json.js';

describe('framing', () => {
  const nonce = 'abc123';
  const frame = (json: string): string => `${beginMarker(nonce)}\n${json}\n${endMarker(nonce)}\n`;

  it('finds frames among noise, across chunk boundaries, with CRLF', () => {
    const reader = new FrameReader(nonce);
    const text = `WARNING: x\r\n${frame('{"id":1}')}junk${frame('{"id":2}').replace(/\n/g, '\r\n')}`;
    const out: string[] = [];
    for (let i = 0; i < text.length; i += 7) out.push(...reader.push(text.slice(i, i + 7)));
    expect(out).toEqual(['{"id":1}', '{"id":2}']);
  });

  it('drops a half frame when a new one begins, and ignores other nonces', () => {
    const reader = new FrameReader(nonce);
    const out = reader.push(`${beginMarker(nonce)}{"id":${beginMarker('other')}x${endMarker('other')}${frame('{"id":3}')}`);
    expect(out).toEqual(['{"id":3}']);
  });

  it('reads replies as 5.1 prints them', () => {
    const printed = toPs51Json({ id: 4, ok: true, result: { echo: "O'Brien <b> & ‘q’ 🙂" } });
    expect(printed).toContain('\\u0027');
    expect(printed).not.toMatch(/[<>'&]|[\u0080-\uffff]/);
    expect(parseReply(printed)).toEqual({ id: 4, ok: true, result: { echo: "O'Brien <b> & ‘q’ 🙂" } });
    expect(parseReply('{"id":1')).toBeNull();
    expect(parseReply('{"id":1,"ok":false,"error":{"message":"m","category":"ObjectNotFound","fqid":"x"}}')).toMatchObject({ ok: false });
  });

  it('reads bytes sent as Base64 lines after the JSON line, outside the JSON', () => {
    const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
    const lines = (bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
    const frame = new FrameReader('abc').push(`${beginMarker('abc')}\n{"id":5,"ok":true,"result":{"width":1}}\n${lines}\r\n${endMarker('abc')}\n`)[0] ?? '';
    const reply = parseReply(frame);
    expect(reply).toMatchObject({ id: 5, ok: true, result: { width: 1 } });
    expect((reply as { result: { binary: Buffer } }).result.binary.equals(bytes)).toBe(true);
    // Lines that are not Base64, or bytes on an error or a non-object result, are not a reply.
    expect(parseReply('{"id":5,"ok":true,"result":{}}\nnot base64!')).toBeNull();
    expect(parseReply('{"id":5,"ok":true,"result":[1]}\nAAAA')).toBeNull();
    expect(parseReply('{"id":5,"ok":false,"error":{"message":"m"}}\nAAAA')).toBeNull();
  });

  it('sends requests as 7-bit JSON', () => {
    expect(asciiJson({ s: 'é‘' })).toBe('{"s":"\\u00e9\\u2018"}');
    expect(JSON.parse(asciiJson({ s: 'é‘🙂' }))).toEqual({ s: 'é‘🙂' });
  });

  it('bootstraps with one line that carries only Base64 between quotes', () => {
    const line = bootstrapLine("param($ConfigBase64)\n'it''s'", { nonce: 'ab12', scriptsDir: "C:\\it's\\dir", scripts: ['ping'] });
    expect(line).not.toContain('\n');
    const quoted = [...line.matchAll(/'([^']*)'/g)].map((m) => m[1] ?? '');
    expect(quoted.every((q) => /^[A-Za-z0-9+/=]+$/.test(q))).toBe(true);
    expect(parseBootstrapLine(line)).toEqual({ hostLoopSource: "param($ConfigBase64)\n'it''s'", config: { nonce: 'ab12', scriptsDir: "C:\\it's\\dir", scripts: ['ping'] } });
  });
});

describe('error records', () => {
  it.each([
    [{ message: 'Hyper-V was unable to find a virtual machine with name "x".', category: 'ObjectNotFound', fqid: 'ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVM' }, 'HV_NOT_FOUND'],
    [{ message: "Modifying the properties of 'v' failed. The operation cannot be performed while the object is in its current state.", category: 'InvalidOperation', fqid: 'InvalidState,Microsoft.HyperV.PowerShell.Commands.SetVM' }, 'HV_INVALID_STATE'],
    [{ message: 'TypeKey returned 32775.', category: 'InvalidOperation', fqid: 'InvalidState' }, 'HV_INVALID_STATE'],
    [{ message: "'v' failed to start. Cannot restore this virtual machine to the saved state because of hypervisor incompatibility. (0xC0370029).", category: 'NotSpecified', fqid: 'OpFailed,Microsoft.HyperV.PowerShell.Commands.StartVM' }, 'HV_SAVED_STATE_INCOMPATIBLE'],
    [{ message: 'x', hresult: 0xc0370029 - 0x100000000 }, 'HV_SAVED_STATE_INCOMPATIBLE'],
    [{ message: 'You do not have the required permission to complete this task.', category: 'PermissionDenied', fqid: 'AccessDenied,Microsoft.HyperV.PowerShell.Commands.GetVM' }, 'HV_ACCESS_DENIED'],
    [{ message: "The term 'Hyper-V\\Get-VM' is not recognized as the name of a cmdlet", category: 'ObjectNotFound', fqid: 'CommandNotFoundException' }, 'HV_MODULE_MISSING'],
    [{ message: 'GetVirtualSystemThumbnailImage returned 32772.', category: 'OperationTimeout', fqid: 'Timeout' }, 'HV_TIMEOUT'],
    [{ message: 'Something else', category: 'NotSpecified', fqid: 'Whatever' }, 'HV_FAILED'],
  ])('%o → %s', (record, code) => {
    expect(classifyPsError(record)).toBe(code);
  });

  it('keeps script, VM, category and id for the caller, and a hint for people', () => {
    const e = mapPsError({ message: 'm', category: 'ObjectNotFound', fqid: 'ObjectNotFound' }, { script: 'start-vm', vm: 'a' });
    expect(e).toMatchObject({ code: 'HV_NOT_FOUND', details: { script: 'start-vm', vm: 'a', category: 'ObjectNotFound' } });
    expect(e.hint).toBeTruthy();
  });
});

describe('console input', () => {
  it('turns chords into virtual-key codes, ctrl+alt+delete into TypeCtrlAltDel', () => {
    expect(chordsToWire(['ctrl+l', 'enter', 'alt+f4', 'meta+r', 'shift+1', 'ctrl+alt+delete', 'f12'])).toEqual(['162,76', '13', '164,115', '91,82', '160,49', 'cad', '123']);
    expect(() => chordsToWire(['hyper+q'])).toThrow();
  });

  it('splits text into TypeText runs and Enter/Tab presses', () => {
    expect(segmentText('ab\r\ncd\n\te')).toEqual([
      { kind: 'text', text: 'ab' },
      { kind: 'keys', chords: ['13'] },
      { kind: 'text', text: 'cd' },
      { kind: 'keys', chords: ['13', '9'] },
      { kind: 'text', text: 'e' },
    ]);
    expect(segmentText('x'.repeat(600)).map((s) => (s.kind === 'text' ? s.text.length : 0))).toEqual([256, 256, 88]);
  });
});

describe('screenshots', () => {
  it('converts RGB565 to RGB with full-scale colours, and refuses a short thumbnail', () => {
    const data = Buffer.alloc(4 * 2 * 2);
    data.writeUInt16LE(0xf800, 0);
    data.writeUInt16LE(0x07e0, 2);
    data.writeUInt16LE(0x001f, 4);
    data.writeUInt16LE(0xffff, 6);
    const image = rgb565ToRgb(data, 4, 2);
    expect([...image.data.subarray(0, 12)]).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
    const frame = thumbnailToFrame({ width: 4, height: 2, format: 'rgb565le', dataBase64: data.toString('base64') });
    expect(frame).toMatchObject({ width: 4, height: 2, channels: 3 });
    expect(() => thumbnailToFrame({ width: 4, height: 4, format: 'rgb565le', dataBase64: data.toString('base64') })).toThrow(/bytes/);
  });
});

describe('rdp files', () => {
  it('writes a CRLF .rdp without credentials', async () => {
    const file = path.join(os.tmpdir(), `hvkube-${process.pid}.rdp`);
    await writeRdpFile(file, '172.27.0.16', 3389);
    const text = await readFile(file, 'utf8');
    await rm(file);
    expect(text).toContain('full address:s:172.27.0.16:3389\r\n');
    expect(text).not.toMatch(/password/i);
    expect(rdpFileContent('fe80::1', 3390)).toContain('full address:s:[fe80::1]:3390');
    expect(() => rdpFileContent('a\r\nusername:s:x', 3389)).toThrow();
  });
});

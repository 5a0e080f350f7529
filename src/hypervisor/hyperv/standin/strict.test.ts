/**
 * The stand-in's model of Hyper-V: it reads what a script calls and refuses what Hyper-V refuses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultScriptsDir } from '../paths.js';
import { CMDLETS, WMI_METHODS } from './hyperv-model.js';
import { readScriptFacts, resolveWaits } from './script-facts.js';
import { assertScriptMatchesModel, invokeWmi, JobDice, loadScript, type LoadedScript } from './strict.js';

const LIB_WAITING = `
function Invoke-HvkWmiMethod {
  param($InputObject, [string]$MethodName, $Arguments)
  $result = Invoke-CimMethod -InputObject $InputObject -MethodName $MethodName -Arguments $Arguments -ErrorAction Stop
  if ([int]$result.ReturnValue -eq 4096) {
    $job = Get-CimInstance -InputObject $result.Job
    while ([int]$job.JobState -lt 7) { $job = Get-CimInstance -InputObject $job }
  }
  return $result
}
`;

function loaded(script: string, lib = LIB_WAITING): LoadedScript {
  const libFacts = readScriptFacts('_lib.ps1', lib);
  return { script: resolveWaits(readScriptFacts('test.ps1', script), libFacts), lib: libFacts };
}

describe('the model of Hyper-V', () => {
  it('cites a source for every cmdlet and WMI method', () => {
    for (const [name, model] of Object.entries(CMDLETS)) expect(model.source, name).not.toBe('');
    for (const [name, model] of Object.entries(WMI_METHODS)) {
      expect(model.source, name).not.toBe('');
      expect(model.returnCodes, name).toEqual(expect.arrayContaining([0, 4096, 32768, 32775]));
    }
  });

  it('accepts every shipped script', () => {
    for (const file of readdirSync(defaultScriptsDir()).filter((f) => f.endsWith('.ps1') && !f.startsWith('_') && f !== 'host-loop.ps1')) {
      expect(() => assertScriptMatchesModel(loadScript(defaultScriptsDir(), path.basename(file, '.ps1'))), file).not.toThrow();
    }
  });

  it('refuses a WMI argument the method does not have (SetScrollPosition takes scrollPositionDelta)', () => {
    const s = loaded(`Invoke-HvkWmiMethod -InputObject $mouse -MethodName 'SetScrollPosition' -Arguments @{ scrollPosition = $Delta }`);
    expect(() => assertScriptMatchesModel(s)).toThrow(/has no argument 'scrollPosition'.*scrollPositionDelta/);
  });

  it('refuses a missing WMI argument and a cast to the wrong type', () => {
    expect(() => assertScriptMatchesModel(loaded(`Invoke-HvkWmiMethod -InputObject $m -MethodName 'SetButtonState' -Arguments @{ buttonIndex = [uint32]1 }`))).toThrow(
      /missing argument\(s\) isDown/,
    );
    expect(() => assertScriptMatchesModel(loaded(`Invoke-HvkWmiMethod -InputObject $m -MethodName 'ClickButton' -Arguments @{ buttonIndex = [string]$b }`))).toThrow(
      /uint32, the script casts it to \[string\]/,
    );
  });

  it('refuses a cmdlet parameter Hyper-V does not have, inline or splatted', () => {
    expect(() => assertScriptMatchesModel(loaded(`Hyper-V\\Stop-VM -VM $vm -Kill -ErrorAction Stop`))).toThrow(/parameter name 'Kill'/);
    const splat = `$p = @{\n  VM = $vm\n  MemoryBytes = 1\n}\nHyper-V\\Set-VMMemory @p`;
    expect(() => assertScriptMatchesModel(loaded(splat))).toThrow(/parameter name 'MemoryBytes'/);
    expect(() => assertScriptMatchesModel(loaded(`$p = @{ VM = $vm }\n$p['Frobnicate'] = 1\nHyper-V\\Set-VM @p`))).toThrow(/parameter name 'Frobnicate'/);
  });

  it('refuses a cmdlet it has no model of, so every new call gets a documented row', () => {
    expect(() => assertScriptMatchesModel(loaded(`Hyper-V\\Export-VM -VM $vm -Path $p -ErrorAction Stop`))).toThrow(/no model of Hyper-V\\Export-VM/);
  });

  it('answers 4096 some of the time, and a script that does not wait for the job fails as it would on a host', () => {
    const waited = loaded(`Invoke-HvkWmiMethod -InputObject $k -MethodName 'TypeText' -Arguments @{ asciiText = [string]$Text }`);
    const unwaited = loaded(`Assert-HvkWmiResult -Result (Invoke-CimMethod -InputObject $k -MethodName 'TypeText' -Arguments @{ asciiText = $Text } -ErrorAction Stop)`);
    expect(waited.script.wmi[0]?.waited).toBe(true);
    expect(unwaited.script.wmi[0]?.waited).toBe(false);
    const always = (): JobDice => new JobDice(7, 1);
    expect(invokeWmi(waited, always(), 'TypeText')).toBe(true);
    expect(() => invokeWmi(unwaited, always(), 'TypeText')).toThrow(/TypeText returned 4096/);
    expect(invokeWmi(unwaited, new JobDice(7, 0), 'TypeText')).toBe(false);
  });

  it('draws the same 4096 answers for the same seed', () => {
    const draw = (seed: number): boolean[] => {
      const dice = new JobDice(seed, 0.25);
      return Array.from({ length: 64 }, () => dice.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    const hits = draw(1).filter(Boolean).length;
    expect(hits).toBeGreaterThan(0);
    expect(hits).toBeLessThan(64);
  });

  it('reads the shipped remove-vm.ps1 as deleting checkpoints before Remove-VM', () => {
    const facts = readScriptFacts('remove-vm.ps1', readFileSync(path.join(defaultScriptsDir(), 'remove-vm.ps1'), 'utf8'));
    const order = facts.cmdlets.map((c) => c.cmdlet);
    expect(order.indexOf('Remove-VMSnapshot')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('Remove-VMSnapshot')).toBeLessThan(order.indexOf('Remove-VM'));
  });
});

/**
 * The dashboard's agent queue in a real browser: submit an agent from a workflow, follow it to
 * its result and screenshot, cancel a long one.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import {
  axeProblems,
  launchBrowser,
  serveFake,
  shoot,
  watchErrors,
  type Served,
  BROWSER_SKIP,
  BROWSER_SKIP_NOTE,
} from './dashboard-server.case.js';

let served: Served;
let browser: Browser;

beforeAll(async () => {
  served = await serveFake({
    pool: 'agents',
    count: 2,
    workflows: {
      greet: {
        executor: 'steps',
        description: 'types a greeting',
        inputs: { who: 'string' },
        steps: [{ type_text: 'hello {{who}}' }, { press_keys: ['enter'] }, { screenshot: true }],
      },
      slow: { executor: 'steps', description: 'waits a minute', steps: [{ wait: 60 }] },
    },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const row = (page: Page, workflow: string) =>
  page.locator('#agents tr[data-agent]', { hasText: workflow });

describe.skipIf(BROWSER_SKIP)(`dashboard agent queue (browser)${BROWSER_SKIP_NOTE}`, () => {
  it('submits an agent from a workflow, shows it complete with its screenshot, and cancels a long one', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    onTestFailed(() => shoot(page, 'agents-failed'));
    const errors = watchErrors(page);
    await page.goto(served.url + '/');
    const form = page.locator('form[data-action=submit-agent]');
    await expect.poll(() => form.count()).toBe(1);
    // The agent form and its queue hold no serious or critical accessibility findings (axe-core).
    expect(await axeProblems(page)).toEqual([]);
    await form.locator('select[name=workflow]').selectOption('greet');
    await form.locator('input[name=input]').fill('{"who": "dashboard"}');
    await form.locator('button[type=submit]').click();
    await expect
      .poll(() => row(page, 'greet').locator('.status').textContent(), { timeout: 20_000 })
      .toBe('completed');
    expect(await row(page, 'greet').locator('a[data-action=artifact]').count()).toBe(1);
    const popup = page.waitForEvent('popup');
    await row(page, 'greet').locator('a[data-action=artifact]').click();
    await (await popup).close();

    await form.locator('select[name=workflow]').selectOption('slow');
    await form.locator('button[type=submit]').click();
    await expect
      .poll(() => row(page, 'slow').locator('.status').textContent(), { timeout: 20_000 })
      .toBe('running');
    await shoot(page, 'agents-running');
    await row(page, 'slow').locator('button[data-action=cancel-agent]').click();
    await page.locator('dialog#confirm #confirm-ok').click();
    await expect
      .poll(() => row(page, 'slow').locator('.status').textContent(), { timeout: 20_000 })
      .toBe('cancelled');
    await shoot(page, 'agents-done');

    const bad = page.locator('#toast');
    await form.locator('select[name=workflow]').selectOption('greet');
    await form.locator('input[name=input]').fill('{not json');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => bad.textContent()).toContain('not JSON');
    expect(errors).toEqual([]);
    await page.close();
  });
});

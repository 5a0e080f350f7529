/**
 * The dashboard in a real browser against a real `hvkube serve` on the fake backend. Page
 * screenshots are kept under test-results/dashboard/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acquireJson,
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
let held: string;

beforeAll(async () => {
  served = await serveFake({ pool: 'web', count: 3 });
  held = await acquireJson(served, 'web');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

async function open(path = '/'): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = watchErrors(page);
  await page.goto(served.url + path);
  return { page, errors };
}

const card = (page: Page, vm: string) => page.locator(`article.card[data-vm="${vm}"]`);

describe.skipIf(BROWSER_SKIP)(`dashboard (browser)${BROWSER_SKIP_NOTE}`, () => {
  it('shows the pools, the VMs and a live thumbnail of a running VM', async () => {
    const { page, errors } = await open();
    const row = page.locator('tr[data-pool="web"]');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('td').nth(1).textContent()).toBe('3');
    await expect.poll(() => page.locator('article.card').count()).toBe(3);
    expect(await card(page, held).locator('[data-role=state]').textContent()).toBe('running');
    expect(await card(page, held).textContent()).toContain('cli:');

    const thumb = card(page, held).locator('img[data-thumb]');
    await expect
      .poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
    expect(await thumb.evaluate((img: HTMLImageElement) => img.src)).toMatch(/^blob:/);
    await expect.poll(() => page.locator('#live').textContent()).toBe('live');
    await shoot(page, 'overview');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the event list updates live', async () => {
    const { page, errors } = await open();
    await expect.poll(() => page.locator('#live').textContent()).toBe('live');
    await expect.poll(() => page.locator('#events li').count()).toBeGreaterThan(0);
    const before = await page.locator('#events li').count();
    // Another process (the CLI) changes a VM; the server's event stream carries it to the page.
    const vm = await acquireJson(served, 'web');
    const fresh = page.locator('#events li', { hasText: vm }).filter({ hasText: 'resumed' });
    await expect.poll(() => fresh.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.locator('#events li').count()).toBeGreaterThan(before);
    await expect
      .poll(() => card(page, vm).locator('[data-role=state]').textContent(), { timeout: 10_000 })
      .toBe('running');
    await shoot(page, 'events-live');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a click on reset (confirmed) changes the VM state on the page', async () => {
    const { page, errors } = await open();
    const state = card(page, held).locator('[data-role=state]');
    await expect.poll(() => state.textContent()).toBe('running');
    await card(page, held).locator('button[data-action=reset]').click();
    const dialog = page.locator('dialog#confirm');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.textContent()).toContain(held);
    await shoot(page, 'reset-confirm');
    // The VM is leased: the dialog asks to force it.
    await dialog.locator('input[type=checkbox]').check();
    await dialog.locator('#confirm-ok').click();
    await expect.poll(() => state.textContent(), { timeout: 15_000 }).toBe('saved');
    expect(await card(page, held).locator('img[data-thumb]').count()).toBe(0);
    await shoot(page, 'after-reset');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('body-less actions (resume, save) carry the JSON media type the server requires', async () => {
    const { page, errors } = await open();
    const state = card(page, held).locator('[data-role=state]');
    await expect.poll(() => state.textContent()).toBe('saved');
    await card(page, held).locator('button[data-action=resume]').click();
    await expect.poll(() => state.textContent(), { timeout: 15_000 }).toBe('running');
    await card(page, held).locator('button[data-action=save]').click();
    await expect.poll(() => state.textContent(), { timeout: 15_000 }).toBe('saved');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('cancelling the confirmation leaves the VM alone', async () => {
    const vm = await acquireJson(served, 'web');
    const { page } = await open();
    await expect
      .poll(() => card(page, vm).locator('[data-role=state]').textContent())
      .toBe('running');
    await card(page, vm).locator('button[data-action=release]').click();
    await page.locator('dialog#confirm button[value=cancel]').click();
    await page.waitForTimeout(500);
    expect(await card(page, vm).locator('[data-role=state]').textContent()).toBe('running');
    await page.close();
  });

  it('the VM page shows the large screen and sends typed keys and clicks to the VM', async () => {
    const vm = await acquireJson(served, 'web');
    const { page, errors } = await open(`/vm?name=${vm}`);
    const img = page.locator('#screen-img');
    await expect
      .poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth), {
        timeout: 10_000,
      })
      .toBeGreaterThan(300);
    const screenshotApi = async (): Promise<string> => {
      const r = await fetch(`${served.url}/api/v1/vms/${vm}/screenshot`);
      return Buffer.from(await r.arrayBuffer()).toString('base64');
    };
    const before = await screenshotApi();
    await img.click({ position: { x: 40, y: 40 } });
    await page.keyboard.type('hello dashboard');
    await page.keyboard.press('Enter');
    await expect.poll(screenshotApi, { timeout: 10_000 }).not.toBe(before);
    await page.locator('#type-form input[name=text]').fill('typed from the form');
    await page.locator('#type-form button[type=submit]').first().click();
    await page.waitForTimeout(1500);
    expect(await page.locator('#vm [data-role=state]').textContent()).toBe('running');
    await shoot(page, 'vm-page');
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe.skipIf(BROWSER_SKIP)(`dashboard accessibility (axe-core)${BROWSER_SKIP_NOTE}`, () => {
  it('the overview, a VM page and the page of a VM that does not exist have no serious or critical findings', async () => {
    const overview = await open();
    await expect.poll(() => overview.page.locator('article.card').count()).toBeGreaterThan(0);
    await expect.poll(() => overview.page.locator('#events li').count()).toBeGreaterThan(0);
    await expect.poll(() => overview.page.locator('#live').textContent()).toBe('live');
    expect(await axeProblems(overview.page)).toEqual([]);
    // The events list takes the keyboard focus, so it can be scrolled without a mouse.
    expect(await overview.page.locator('#events').getAttribute('tabindex')).toBe('0');
    await overview.page.close();

    const vm = await open(`/vm?name=${held}`);
    await expect.poll(() => vm.page.locator('#vm [data-role=state]').textContent()).toBe('running');
    expect(await axeProblems(vm.page)).toEqual([]);
    await vm.page.close();

    const missing = await open('/vm?name=hvk-web-nosuch');
    await expect.poll(() => missing.page.locator('#screen-note').textContent()).toMatch(/no screen: VM 'hvk-web-nosuch' does not exist/);
    expect(await axeProblems(missing.page)).toEqual([]);
    await missing.page.close();
  });
});

describe.skipIf(BROWSER_SKIP)(`dashboard sign-in (browser)${BROWSER_SKIP_NOTE}`, () => {
  const TOKEN = 'dash-test-token-7f3a9c';
  let secured: Served;

  beforeAll(async () => {
    secured = await serveFake({ pool: 'sec', count: 1, env: { HVKUBE_API_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  it('asks for the token, refuses a wrong one, and never puts the token in the page', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const html = await (await fetch(secured.url + '/')).text();
    expect(html).not.toContain(TOKEN);
    expect((await fetch(secured.url + '/ui/f/pools')).status).toBe(401);
    await page.goto(secured.url + '/');
    await expect.poll(() => page.locator('#login').isVisible()).toBe(true);
    await page.locator('#token').fill('wrong');
    await page.locator('#login-form button').click();
    await expect.poll(() => page.locator('#login-error').textContent()).toContain('not accepted');
    await shoot(page, 'sign-in');
    await page.locator('#token').fill(TOKEN);
    await page.locator('#login-form button').click();
    await expect.poll(() => page.locator('tr[data-pool="sec"]').count()).toBe(1);
    expect(await page.content()).not.toContain(TOKEN);
    await page.close();
  });
});

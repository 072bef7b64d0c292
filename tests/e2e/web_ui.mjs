// The web page in a real browser: Debian's Chromium, headless, driven by playwright-core.
// Uploads examples/butterfly.png, asks, waits for the streamed answer, saves a screenshot
// (web_ui.png in ANYMAL_E2E_OUT), and fails on any console error (a CSP violation, say); then
// takes a photo with the camera (Chromium's fake device) and asks about it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';

const butterfly = fileURLToPath(new URL('../../examples/butterfly.png', import.meta.url));
let server, browser;
before(async () => {
  server = await startServer();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
      // A synthetic camera (Chromium's test pattern), granted without a prompt.
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
});
after(async () => { await browser?.close(); await server?.stop(); });

test('upload an image, ask, see the answer stream in', async () => {
  const page = await browser.newPage({ viewport: { width: 900, height: 640 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url + '/');
  await page.waitForFunction(() => document.getElementById('model').textContent === 'anymal');
  await page.setInputFiles('#file', butterfly);
  await page.waitForSelector('#attached img[src^="data:image/png"]');
  await page.fill('#question', 'What butterfly is this?');
  await page.click('#ask');
  const answer = page.locator('.assistant.done').last();
  await answer.waitFor({ timeout: 30000 });
  const text = await answer.locator('span').first().textContent();
  assert.equal(text, 'cabbage white');
  assert.match(await answer.locator('.stats').textContent(), /tokens/);
  // A follow-up in the same conversation (text only) also gets an answer.
  await page.fill('#question', 'What colour is it?');
  await page.keyboard.press('Enter');
  await page.locator('.assistant.done').nth(1).waitFor({ timeout: 30000 });
  await page.screenshot({ path: `${process.env.ANYMAL_E2E_OUT}/web_ui.png` });
  assert.deepEqual(errors, []);
});

test('take a photo with the camera, ask, get an answer', async () => {
  const page = await browser.newPage({ viewport: { width: 900, height: 640 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url + '/');
  await page.click('#take-photo');
  await page.waitForFunction(() => document.getElementById('video').videoWidth > 0);
  await page.click('#snap');
  await page.waitForSelector('#attached img[src^="data:image/jpeg"]');
  await page.fill('#question', 'What is in the picture?');
  await page.click('#ask');
  const answer = page.locator('.assistant.done').last();
  await answer.waitFor({ timeout: 30000 });
  assert.equal(await answer.evaluate((e) => e.classList.contains('error')), false);
  assert.match(await answer.locator('.stats').textContent(), /token/);
  assert.deepEqual(errors, []);
});

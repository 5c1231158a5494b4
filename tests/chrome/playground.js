// Drives the playground page in headless Chromium for tests/playground.rs:
//   node playground.js URL OUT_DIR
// Prints one JSON report on stdout; writes OUT_DIR/playground.png and the
// saved test OUT_DIR/spot.test.json. Chromium: $CHROMIUM or /usr/bin/chromium.
const path = require('path');
const { chromium } = require('playwright-core');

const SPOT = "if (_digitalData('website.redesign')) {\n  return 'redesign';\n} else {\n  return 'old';\n}";
const BROKEN = "var x = 1;\nreturn x +;";
// A page whose Updated Cart makes the pipeline add events of its own.
const UPDATED_CART = JSON.stringify({
  digitalData: {
    version: '1.1.3',
    website: { regionId: 'msk', redesign: true },
    cart: { lineItems: [{ product: { id: 'a', unitSalePrice: 10 }, quantity: 1 }] },
    events: [{ name: 'Updated Cart', cart: { lineItems: [{ product: { id: 'b', unitSalePrice: 20 }, quantity: 2 }] } }],
  },
}, null, 2);

async function main() {
  const [url, out] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const external = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(url.replace(/\/$/, ''))) external.push(request.url());
  });
  const test = (id) => page.locator(`[data-testid="${id}"]`);
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });

  // Type the handler over the demo's own and run it with Ctrl+Enter.
  async function write(text) {
    await page.locator('[data-testid="handler"] .cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
    const before = await page.evaluate(() => Number(document.body.dataset.runs || 0));
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(
      (old) => Number(document.body.dataset.runs || 0) > old,
      before,
      { timeout: 15000 },
    );
  }

  await write(BROKEN);
  await page.waitForFunction(() => document.querySelector('[data-testid="error"]').textContent.includes('line 2'));
  const error = await test('error').textContent();
  await page.waitForSelector('[data-testid="handler"] .cm-lintRange-error');
  const markedLine = await page.evaluate(() => {
    const lines = [...document.querySelectorAll('[data-testid="handler"] .cm-line')];
    return lines.findIndex((line) => line.querySelector('.cm-lintRange-error')) + 1;
  });

  await write(SPOT);
  await page.waitForFunction(() => document.querySelector('[data-testid="value"]').textContent === '"redesign"');
  await page.waitForFunction(() => document.querySelector('[data-testid="calls"]').textContent.includes('postcheckout'));
  const value = await test('value').textContent();
  const calls = await test('calls').textContent();
  await page.screenshot({ path: path.join(out, 'playground.png'), fullPage: false });

  const [download] = await Promise.all([page.waitForEvent('download'), test('save-test').click()]);
  await download.saveAs(path.join(out, 'spot.test.json'));

  // A page with events the pipeline adds: saved after an edit, without
  // running it first.
  await page.locator('[data-testid="page"] .cm-content').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(UPDATED_CART);
  const [cart] = await Promise.all([page.waitForEvent('download'), test('save-test').click()]);
  await cart.saveAs(path.join(out, 'updated-cart.test.json'));
  await write(SPOT);

  // The link reproduces the case in a fresh page.
  const link = page.url();
  const again = await context.newPage();
  await again.goto(link);
  await again.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  const fromLink = await again.evaluate(() => document.querySelector('[data-testid="handler"] .cm-content').innerText);

  await browser.close();
  process.stdout.write(JSON.stringify({ value, error, markedLine, calls, fromLink: fromLink.trimEnd(), external }) + '\n');
  if (external.length) {
    console.error(`requests to other hosts: ${external.join(', ')}`);
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

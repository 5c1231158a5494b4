// Records what real Chrome returns for a list of JavaScript expressions on a
// fixture page, so Handlebox's tests can compare their own results to it.
//
//   node record.js [name]        (name defaults to "product-browser")
//
// Reads  fixtures/pages/<name>.json              (the page)
//        fixtures/pages/<name>.expressions.txt   (one expression per line)
// Writes fixtures/pages/<name>.chrome.json
//   {"chrome": "<version>", "results": [{"expression": ..., "value": ...}, ...]}
// where each result has exactly one of "value" (JSON-representable result),
// "undefined": true, or "error": "<name>: <message>" (the expression threw).
//
// Uses the system Chromium (Debian package `chromium`); no request leaves the
// machine: the page URL is answered with the fixture's HTML, all else aborted.

'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const name = process.argv[2] || 'product-browser';
const dir = path.join(__dirname, '..', '..', 'fixtures', 'pages');
const page = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
const expressions = fs
  .readFileSync(path.join(dir, `${name}.expressions.txt`), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '');

// The page URL without its fragment: what the browser actually requests.
const withoutHash = (u) => { const x = new URL(u); x.hash = ''; return x.href; };
const pageUrl = withoutHash(page.url);

// Runs inside the page, once per expression, each in a fresh function.
// The '\n' before ')' keeps a trailing `//` comment from swallowing the paren.
function evaluateInPage(expr) {
  let v;
  try {
    v = new Function('return (' + expr + '\n)')();
  } catch (e) {
    return { error: e.name + ': ' + e.message };
  }
  if (v === undefined) return { undefined: true };
  // Anything JSON can't represent faithfully (functions, DOM nodes, NaN,
  // Map, ...) is reported so the harness fails loudly instead of storing a
  // lossy value such as {} or null.
  const faithful = (x) => {
    if (x === null || typeof x === 'string' || typeof x === 'boolean') return true;
    if (typeof x === 'number') return Number.isFinite(x) && !Object.is(x, -0);
    if (Array.isArray(x)) return x.every(faithful);
    if (typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
      return Object.values(x).every((y) => y !== undefined && faithful(y));
    }
    return false;
  };
  if (!faithful(v)) return { unrepresentable: Object.prototype.toString.call(v) };
  return { value: JSON.parse(JSON.stringify([v]))[0] };
}

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox'], // we run as root
  });
  try {
    const context = await browser.newContext({
      userAgent: page.userAgent,
      locale: page.language,
      timezoneId: 'UTC',
    });

    // Cookies, in the order given, values exactly as given (no encoding).
    // Added one at a time so each gets its own creation time, which is the
    // order document.cookie lists cookies of equal path length in.
    const origin = new URL(page.url).origin + '/';
    for (const [cookieName, value] of Object.entries(page.cookies || {})) {
      await context.addCookies([{ name: cookieName, value, url: origin }]);
    }

    // Serve the fixture for the page URL; abort everything else.
    await context.route('**/*', (route) => {
      if (withoutHash(route.request().url()) === pageUrl) {
        return route.fulfill({
          status: 200,
          contentType: 'text/html; charset=utf-8',
          body: page.html,
        });
      }
      return route.abort();
    });

    const tab = await context.newPage();
    await tab.goto(page.url, { referer: page.referrer });

    // Page state the fixture describes, set before any expression runs.
    await tab.evaluate((p) => {
      for (const [k, v] of Object.entries(p.globals || {})) window[k] = v;
      window.dataLayer = p.dataLayer;
      window.digitalData = p.digitalData;
      localStorage.clear();
      sessionStorage.clear();
    }, page);

    const title = await tab.title();
    if (title !== page.title) {
      throw new Error(`document.title is ${JSON.stringify(title)}, fixture says ${JSON.stringify(page.title)}`);
    }

    const results = [];
    for (const expression of expressions) {
      const r = await tab.evaluate(evaluateInPage, expression);
      if (r.unrepresentable) {
        throw new Error(`not JSON-representable (${r.unrepresentable}): ${expression}`);
      }
      results.push({ expression, ...r });
    }

    const out = { chrome: browser.version(), results };
    const file = path.join(dir, `${name}.chrome.json`);
    fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
    console.log(`Chrome ${out.chrome}: ${results.length} expressions -> ${path.relative(process.cwd(), file)}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// Soak test of `handlebox serve` on loopback: well-behaved traffic on one
// project while others flood it with hostile pages (handlers that loop,
// allocate, spend their budget, return huge values), slow clients hold
// connections and bad bodies arrive. Reports the server's RSS over time,
// p50/p99 latency of the well-behaved project, and pages answered against
// pages sent, per project.
//   node benches/soak/soak.js PORT SERVER_PID SECONDS
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');

const [port, pid, seconds] = process.argv.slice(2).map(Number);
const base = `http://127.0.0.1:${port}`;
const root = path.join(__dirname, '..', '..');
const fixture = (p) => fs.readFileSync(path.join(root, p), 'utf8');
const deadline = Date.now() + seconds * 1000;

const views = (count, extra) => JSON.stringify({
  digitalData: Object.assign({ events: Array(count).fill({ name: 'Viewed Product Detail', product: { id: 'a' } }) }, extra),
});
const shopPages = ['thank-you.json', 'home-anonymous.json', 'listing-24.json', 'product.json', 'cart.json']
  .map((f) => fixture(`fixtures/pages/${f}`));

const stats = {};
function count(project, status) {
  const s = (stats[project] = stats[project] || { sent: 0, answered: 0, failed: 0, statuses: {}, micros: [], errors: {} });
  if (status === undefined) { s.sent += 1; return s; }
  if (typeof status === 'string') { s.failed += 1; s.errors[status] = (s.errors[status] || 0) + 1; return s; }
  s.answered += 1;
  s.statuses[status] = (s.statuses[status] || 0) + 1;
  return s;
}

async function post(project, body) {
  count(project);
  const started = process.hrtime.bigint();
  try {
    const response = await fetch(`${base}/v1/projects/${project}/process`, { method: 'POST', body });
    await response.arrayBuffer();
    const s = count(project, response.status);
    if (response.status === 200) s.micros.push(Number(process.hrtime.bigint() - started) / 1000);
    if (response.status === 503) await new Promise((r) => setTimeout(r, 50));
  } catch (e) {
    count(project, String((e.cause && (e.cause.code || e.cause.message)) || e.message));
  }
}

async function loop(project, bodies) {
  let i = 0;
  while (Date.now() < deadline) await post(project, bodies[i++ % bodies.length]);
}

// Holds a connection with a request that never finishes, until the server
// cuts it (its read timeout); then opens another.
async function slowloris() {
  while (Date.now() < deadline) {
    count('slowloris');
    await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write('POST /v1/process HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"digitalData":');
      });
      socket.on('data', () => {});
      socket.on('close', () => { count('slowloris', 1); resolve(); });
      socket.on('error', () => {});
    });
  }
}

function rss() {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;
}

(async () => {
  const samples = [];
  const sampler = setInterval(() => samples.push([Math.round((Date.now() - deadline) / 1000 + seconds), rss()]), 1000);
  const hostile = fixture('fixtures/pages/home-anonymous.json');
  const clients = [
    ...Array.from({ length: 4 }, () => loop('shop', shopPages)),
    ...Array.from({ length: 6 }, () => loop('hostile', [hostile])),
    ...Array.from({ length: 2 }, () => loop('slow', [views(300)])),
    ...Array.from({ length: 2 }, () => loop('large', [views(200)])),
    loop('shop-bad', ['{not json', '[1, 2]']),
    ...Array.from({ length: 4 }, () => slowloris()),
  ];
  await Promise.all(clients);
  clearInterval(sampler);
  const window = Math.max(1, Math.floor(samples.length / 6));
  console.log(`RSS (MiB), every ${window} s: ` +
    samples.filter((_, i) => i % window === 0).map(([t, m]) => `${t}s ${m.toFixed(1)}`).join(', '));
  const values = samples.map(([, m]) => m);
  console.log(`RSS min ${Math.min(...values).toFixed(1)} MiB, max ${Math.max(...values).toFixed(1)} MiB, ` +
    `last ${values[values.length - 1].toFixed(1)} MiB`);
  for (const [project, s] of Object.entries(stats)) {
    const sorted = s.micros.sort((a, b) => a - b);
    const latency = sorted.length
      ? `, p50 ${(percentile(sorted, 0.5) / 1000).toFixed(1)} ms, p99 ${(percentile(sorted, 0.99) / 1000).toFixed(1)} ms`
      : '';
    const errors = s.failed ? ` (${JSON.stringify(s.errors)})` : '';
    console.log(`${project}: sent ${s.sent}, answered ${s.answered}, no answer ${s.failed}${errors}, ` +
      `statuses ${JSON.stringify(s.statuses)}${latency}`);
  }
})();

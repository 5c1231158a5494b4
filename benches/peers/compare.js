// Prints the performance table of the README: Handlebox's replay against
// Node's `vm` and isolated-vm on the same config and pages, one thread, a
// fresh JavaScript world per page, alternating runs, medians.
//
// Run from the project root:   node benches/peers/compare.js [ROUNDS]
// It builds Handlebox in release mode, writes the workloads to a temporary
// directory, and installs isolated-vm into ~/.cache/handlebox-peers when it
// is not there yet (a native addon: a few minutes, once).
'use strict';
var cp = require('child_process');
var fs = require('fs');
var os = require('os');
var path = require('path');

var rounds = Number(process.argv[2] || 3);
var root = path.resolve(__dirname, '..', '..');
var target = process.env.CARGO_TARGET_DIR || path.join(root, 'target');
var peers = path.join(os.homedir(), '.cache', 'handlebox-peers');

function run(command, args, options) {
  var result = cp.spawnSync(command, args, Object.assign({ cwd: root, encoding: 'utf8', maxBuffer: 1 << 30 }, options));
  if (result.status !== 0) {
    process.stderr.write(result.stderr || '');
    throw new Error(command + ' ' + args.join(' ') + ' failed');
  }
  return result;
}

function ensureIsolatedVm() {
  if (fs.existsSync(path.join(peers, 'node_modules', 'isolated-vm', 'out', 'isolated_vm.node'))) return;
  fs.mkdirSync(peers, { recursive: true });
  process.stderr.write('installing isolated-vm into ' + peers + ' (once)\n');
  // isolated-vm 6 needs Node 22; 5 builds on Node 20 with node-gyp.
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', 'isolated-vm@5'], { cwd: peers, stdio: ['ignore', 'ignore', 'inherit'] });
  run('npx', ['--yes', 'node-gyp', 'rebuild', '--release', '-j', String(os.cpus().length)],
    { cwd: path.join(peers, 'node_modules', 'isolated-vm'), stdio: ['ignore', 'ignore', 'inherit'] });
}

function median(values) {
  var sorted = values.slice().sort(function (a, b) { return a - b; });
  return sorted[Math.floor(sorted.length / 2)];
}

function handlebox(config, pages, jobs) {
  var result = run('/usr/bin/time', ['-f', 'maxrss %M', path.join(target, 'release', 'handlebox'),
    'run', '--config', config, '--page', pages, '--format', 'ndjson', '--jobs', String(jobs)],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  var rate = /\(([\d.]+) pages\/s\)/.exec(result.stderr);
  var rss = /maxrss (\d+)/.exec(result.stderr);
  return { rate: Number(rate[1]), rssMiB: Number(rss[1]) / 1024 };
}

function peer(script, config, pages, extra) {
  var env = Object.assign({}, process.env, { NODE_PATH: path.join(peers, 'node_modules') });
  var result = run('node', [path.join(__dirname, script), config, pages, '1'].concat(extra || []), { env: env });
  return JSON.parse(result.stdout).pagesPerSecond;
}

run('cargo', ['build', '--release', '--quiet', '--bin', 'handlebox', '--example', 'mixed_pages'], { stdio: 'inherit' });
ensureIsolatedVm();
var dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handlebox-compare-'));
var mixed = path.join(dir, 'mixed.ndjson');
fs.writeFileSync(mixed, run(path.join(target, 'release', 'examples', 'mixed_pages'), ['2000']).stdout);
var typicalPage = JSON.stringify(JSON.parse(fs.readFileSync(path.join(root, 'fixtures/pages/thank-you-6kb.json'), 'utf8')));
var typical = path.join(dir, 'typical.ndjson');
fs.writeFileSync(typical, (typicalPage + '\n').repeat(2000));

var workloads = [
  { name: 'typical thank-you page (`thank-you-6kb.json`, `shop.json`), 2,000 times', config: 'fixtures/configs/shop.json', pages: typical },
  { name: '2,000 mixed shop pages (`mixed_pages`, `shop-mixed.json`)', config: 'fixtures/configs/shop-mixed.json', pages: mixed }
];
var rows = [];
workloads.forEach(function (w) {
  var m = { one: [], two: [], rss: [], vm: [], ivm: [] };
  for (var r = 0; r < rounds; r++) {
    var one = handlebox(w.config, w.pages, 1);
    m.one.push(one.rate);
    m.vm.push(peer('node-vm.js', w.config, w.pages));
    m.ivm.push(peer('isolated-vm.js', w.config, w.pages));
    var two = handlebox(w.config, w.pages, 2);
    m.two.push(two.rate);
    m.rss.push(two.rssMiB);
  }
  rows.push({ w: w, one: median(m.one), two: median(m.two), rss: Math.max.apply(null, m.rss), vm: median(m.vm), ivm: median(m.ivm) });
});
fs.rmSync(dir, { recursive: true, force: true });

var cpu = (os.cpus()[0] || {}).model || 'unknown CPU';
console.log('Measured ' + new Date().toISOString().slice(0, 10) + ' on ' + os.cpus().length + ' cores (' + cpu.trim() + '), ' +
  'medians of ' + rounds + ' alternating rounds, by `node benches/peers/compare.js`.\n');
console.log('| workload | Handlebox, 1 thread | Node `vm` | isolated-vm (context per page) | Handlebox ÷ isolated-vm | Handlebox, 2 threads (scaling, peak RSS) |');
console.log('|---|---|---|---|---|---|');
rows.forEach(function (row) {
  console.log('| ' + row.w.name + ' | ' + Math.round(row.one) + ' pages/s | ' + Math.round(row.vm) + ' | ' + Math.round(row.ivm) +
    ' | ' + (row.one / row.ivm).toFixed(2) + '× | ' + Math.round(row.two) + ' pages/s (' + (row.two / row.one).toFixed(2) + '×, ' +
    row.rss.toFixed(0) + ' MiB) |');
});

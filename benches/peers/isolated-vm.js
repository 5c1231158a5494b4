// isolated-vm as the sandbox: one V8 isolate with a 128 MB limit, a new
// context per page (or, with `--isolate-per-page`, a new isolate), each
// event run with a 50 ms timeout.
// Usage: node isolated-vm.js CONFIG PAGES [PASSES] [--isolate-per-page]
'use strict';
var ivm = require('isolated-vm');
var work = require('./page-work');

var input = work.load(process.argv[2], process.argv[3]);
var passes = Number(process.argv[4] || 1);
var perPage = process.argv.indexOf('--isolate-per-page') >= 0;
var counts = input.pages.map(work.eventCount);
var shared = perPage ? null : new ivm.Isolate({ memoryLimit: 128 });
var started = process.hrtime.bigint();
var done = 0;
for (var pass = 0; pass < passes; pass++) {
  input.pages.forEach(function (page, p) {
    var isolate = shared || new ivm.Isolate({ memoryLimit: 128 });
    var context = isolate.createContextSync();
    var global = context.global;
    global.setSync('PAGE', page);
    global.setSync('OPTIONS', input.options);
    context.evalSync(work.setup, { timeout: 50 });
    for (var i = 0; i < counts[p]; i++) {
      global.setSync('INDEX', i);
      context.evalSync(work.event, { timeout: 50 });
    }
    context.release();
    if (!shared) isolate.dispose();
    done++;
  });
}
var seconds = Number(process.hrtime.bigint() - started) / 1e9;
var name = perPage ? 'isolated-vm, isolate per page' : 'isolated-vm, context per page';
console.log(JSON.stringify({ peer: name, pages: done, seconds: seconds, pagesPerSecond: done / seconds }));

// Node's `vm` as the sandbox: a new context per page, each event run with
// a 50 ms timeout. Usage: node node-vm.js CONFIG PAGES [PASSES]
'use strict';
var vm = require('vm');
var work = require('./page-work');

var input = work.load(process.argv[2], process.argv[3]);
var passes = Number(process.argv[4] || 1);
var setup = new vm.Script(work.setup);
var event = new vm.Script(work.event);
var counts = input.pages.map(work.eventCount);
var started = process.hrtime.bigint();
var done = 0;
for (var pass = 0; pass < passes; pass++) {
  input.pages.forEach(function (page, p) {
    var context = vm.createContext({ PAGE: page, OPTIONS: input.options, INDEX: 0 });
    setup.runInContext(context, { timeout: 50 });
    for (var i = 0; i < counts[p]; i++) {
      context.INDEX = i;
      event.runInContext(context, { timeout: 50 });
    }
    done++;
  });
}
var seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ peer: 'node vm', pages: done, seconds: seconds, pagesPerSecond: done / seconds }));

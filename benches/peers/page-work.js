// What a peer sandbox runs for one page, as JavaScript source evaluated
// inside a fresh context: the admin panel's helpers over the page, the
// config's handlers compiled in that context, and every event of the page
// through them (override, event variables, product variables). No
// enrichment, event order or Flocktory mapping: peers do less than
// Handlebox per page, so the comparison favours them.
'use strict';

// Evaluated first, with `PAGE` and `OPTIONS` (JSON text) defined.
exports.setup = `
var page = JSON.parse(PAGE);
var options = JSON.parse(OPTIONS);
var data = page.digitalData || {};
function walk(value, path) {
  var steps = String(path).split('.');
  for (var i = 0; i < steps.length && value != null; i++) value = value[steps[i]];
  return value;
}
function copy(value) { return value === undefined ? value : JSON.parse(JSON.stringify(value)); }
var helpers = {
  digitalData: function (path) { return copy(walk(data, path)); },
  get: walk,
  queryParam: function (name) {
    var found = new RegExp('[?&]' + name + '=([^&#]*)').exec(page.url || '');
    return found ? decodeURIComponent(found[1].replace(/\\+/g, ' ')) : '';
  },
  cookie: function (name) { return (page.cookies || {})[name]; },
  global: function (path) { return walk(page.globals || {}, path); },
  dataLayer: function () { return undefined; }
};
var integration = {
  getName: function () { return 'Flocktory'; },
  getOption: function (name) { return options[name]; }
};
var locals = 'var _digitalData = this.digitalData, _get = this.get, _queryParam = this.queryParam, ' +
  '_cookie = this.cookie, _global = this.global, _dataLayer = this.dataLayer;\\n';
var variables = (options.eventEnrichments || []).map(function (entry) {
  var param = entry.scope === 'product' ? 'product' : 'event';
  return { scope: entry.scope, prop: entry.prop, event: entry.event, run: new Function(param, locals + entry.handler) };
});
var override = options.overrideFunctions && options.overrideFunctions.event
  ? new Function('return (' + options.overrideFunctions.event + ')')()
  : null;
function productsOf(event) {
  if (event.product) return [event.product];
  if (event.listing && event.listing.items) return event.listing.items;
  var lines = (event.cart && event.cart.lineItems) || (event.transaction && event.transaction.lineItems) || [];
  return lines.map(function (line) { return line.product; }).filter(Boolean);
}
var ENRICH = { 'Viewed Product Listing': 'listing', 'Viewed Product Detail': 'product',
  'Viewed Cart': 'cart', 'Completed Transaction': 'transaction' };
var results = [];
`;

// Evaluated once per event, with `INDEX` defined.
exports.event = `(function () {
  var event = copy((data.events || [])[INDEX]);
  var from = ENRICH[event.name];
  if (from && !event[from] && data[from]) event[from] = copy(data[from]);
  if (!event.user && data.user) event.user = copy(data.user);
  if (override) override.call(integration, event);
  var values = {};
  variables.forEach(function (v) {
    if (v.scope === 'product') return;
    if (v.event && v.event !== event.name) return;
    try { event[v.prop] = values[v.prop] = v.run.call(helpers, event); } catch (e) { values[v.prop] = String(e); }
  });
  productsOf(event).forEach(function (product) {
    variables.forEach(function (v) {
      if (v.scope !== 'product') return;
      try { product[v.prop] = v.run.call(helpers, product); } catch (e) { /* reported as nothing */ }
    });
  });
  results.push(JSON.stringify([event.name, event.ignore === true, values]));
})()`;

// Reads the config's first integration's options and the pages (one JSON
// page, or NDJSON).
exports.load = function (configPath, pagesPath) {
  var fs = require('fs');
  var config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  var options = JSON.stringify(config.integrations[0].options);
  var text = fs.readFileSync(pagesPath, 'utf8');
  var pages = /\.(ndjson|jsonl)$/.test(pagesPath)
    ? text.split('\n').filter(function (line) { return line.trim() !== ''; })
    : [JSON.stringify(JSON.parse(text))];
  return { options: options, pages: pages };
};

exports.eventCount = function (pageText) {
  var page = JSON.parse(pageText);
  return ((page.digitalData || {}).events || []).length;
};

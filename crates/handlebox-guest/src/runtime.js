// The page runtime: the helpers handlers see, a captured console, and the
// conversions results go through. It runs once per page, before any handler,
// and keeps its own copies of the built-ins it relies on, so a handler that
// replaces `JSON.stringify` or `Object.keys` cannot change how results are
// converted.
(function (hostLog) {
  'use strict';
  var stringify = JSON.stringify;
  var call = Function.prototype.call;
  var hasOwn = call.bind(Object.prototype.hasOwnProperty);
  var replace = call.bind(String.prototype.replace);
  var split = call.bind(String.prototype.split);
  var trim = call.bind(String.prototype.trim);
  var indexOf = call.bind(String.prototype.indexOf);
  var slice = call.bind(String.prototype.slice);
  var exec = call.bind(RegExp.prototype.exec);
  var isArray = Array.isArray;
  var keys = Object.keys;
  var defineProperty = Object.defineProperty;
  var freeze = Object.freeze;
  var decode = decodeURIComponent;
  var toText = String;
  var RegExpCtor = RegExp;
  var ErrorCtor = Error;
  var PromiseCtor = Promise;
  var global = globalThis;
  var unsupported = new WeakSet();
  var markUnsupported = call.bind(WeakSet.prototype.add, unsupported);
  var isUnsupported = call.bind(WeakSet.prototype.has, unsupported);

  var page = { digitalData: undefined, url: '', cookies: {}, globals: {}, dataLayer: [] };

  // "a.b[0].c" -> ["a", "b", "0", "c"]; "" -> [].
  function steps(path) {
    if (path === undefined || path === null) return [];
    var text = trim(toText(path));
    if (text === '') return [];
    text = replace(text, /\[(\w+)\]/g, '.$1');
    text = replace(text, /^\./, '');
    return split(text, '.');
  }

  // The value at `path`, taking a step only through an own property whose
  // value is not undefined.
  function get(obj, path) {
    var parts = steps(path);
    var current = obj;
    for (var i = 0; i < parts.length; i++) {
      if (current === null || current === undefined) return undefined;
      if (!hasOwn(current, parts[i]) || current[parts[i]] === undefined) return undefined;
      current = current[parts[i]];
    }
    return current;
  }

  function clone(value) {
    if (value === null || typeof value !== 'object') return value;
    var copy, i;
    if (isArray(value)) {
      copy = [];
      for (i = 0; i < value.length; i++) copy[i] = clone(value[i]);
      return copy;
    }
    copy = {};
    var names = keys(value);
    for (i = 0; i < names.length; i++) {
      defineProperty(copy, names[i], {
        value: clone(value[names[i]]),
        writable: true,
        enumerable: true,
        configurable: true
      });
    }
    return copy;
  }

  function digitalData(path) {
    return clone(get(page.digitalData, path));
  }

  // The first `name=value` of the URL's query string, `+` read as a space,
  // then percent-decoded; "" when absent.
  function queryParam(name) {
    var url = page.url;
    var hash = indexOf(url, '#');
    if (hash >= 0) url = slice(url, 0, hash);
    var query = indexOf(url, '?');
    if (query < 0) return '';
    var escaped = replace(toText(name), /[.*+?^${}()|[\]\\]/g, '\\$&');
    var match = exec(new RegExpCtor('[?&]' + escaped + '=([^&#]*)'), slice(url, query));
    return match === null ? '' : decode(replace(match[1], /\+/g, ' '));
  }

  function cookie(name) {
    if (!hasOwn(page.cookies, name)) return undefined;
    var raw = toText(page.cookies[name]);
    try {
      return decode(raw);
    } catch (e) {
      return raw;
    }
  }

  function globalValue(path) {
    return get(page.globals, path);
  }

  function dataLayer(path) {
    var layer = page.dataLayer;
    if (!isArray(layer)) return undefined;
    for (var i = layer.length - 1; i >= 0; i--) {
      var value = get(layer[i], path);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  var browserOnly = ['domQuery', 'fetch', 'timeout', 'retry', 'loadPixel', 'loadScript',
    'loadIframe', 'loadLink', 'counter', 'counterInc'];

  function unavailable(name) {
    return function () {
      var error = new ErrorCtor(name + ' is not available in the sandbox: it only works in a browser');
      markUnsupported(error);
      throw error;
    };
  }

  var helpers = {
    digitalData: digitalData,
    get: get,
    queryParam: queryParam,
    cookie: cookie,
    global: globalValue,
    dataLayer: dataLayer
  };
  for (var b = 0; b < browserOnly.length; b++) {
    helpers[browserOnly[b]] = unavailable('this.' + browserOnly[b]);
    defineProperty(global, '_' + browserOnly[b], {
      value: unavailable('_' + browserOnly[b]),
      writable: true,
      enumerable: false,
      configurable: true
    });
  }

  function inspect(value) {
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && value !== null) {
      try {
        var text = stringify(value);
        if (text !== undefined) return text;
      } catch (e) {
        // Cycles and BigInts fall through to String().
      }
    }
    try {
      return toText(value);
    } catch (e) {
      return '[value]';
    }
  }

  function logger(level) {
    return function () {
      var parts = [];
      for (var i = 0; i < arguments.length; i++) parts[i] = inspect(arguments[i]);
      hostLog(level, parts.join(' '));
    };
  }

  defineProperty(global, 'console', {
    value: {
      log: logger('log'),
      info: logger('info'),
      warn: logger('warn'),
      error: logger('error'),
      debug: logger('debug')
    },
    writable: true,
    enumerable: false,
    configurable: true
  });

  return freeze({
    helpers: helpers,
    setPage: function (data, url, cookies, globals, layer) {
      page.digitalData = data;
      page.url = toText(url);
      page.cookies = cookies;
      page.globals = globals;
      page.dataLayer = layer;
    },
    setDigitalData: function (data) {
      page.digitalData = data;
    },
    integration: function (name, options) {
      return {
        getName: function () { return name; },
        getOption: function (option) { return hasOwn(options, option) ? options[option] : undefined; }
      };
    },
    isUnsupported: function (error) {
      return typeof error === 'object' && error !== null && isUnsupported(error);
    },
    isPromise: function (value) {
      return value instanceof PromiseCtor;
    },
    toJson: function (value) {
      return stringify(value);
    }
  });
})

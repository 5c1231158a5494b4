// The page runtime: the helpers handlers see, a captured console, and the
// conversions results go through. It runs once per page, before any handler,
// and keeps its own copies of the built-ins it relies on, so a handler that
// replaces `JSON.stringify` or `Object.keys` cannot change how results are
// converted. The page's browser (`browser.js`) is built before it and
// passed in as `browser`.
(function (hostLog, hostDigitalData, hostQueryParam, browserOnly, browser, hostSchemaErrors) {
  'use strict';
  var stringify = JSON.stringify;
  var call = Function.prototype.call;
  var invoke = call.bind(call);
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
  var global = globalThis;
  var part = browser.part;
  var TypeErrorCtor = TypeError;

  // Regular expressions are made once: Boa compiles a literal each time
  // it is evaluated.
  var BRACKET_STEP = /\[(\w+)\]/g;
  var LEADING_DOT = /^\./;
  var BRACKET = /[[\]]/g;
  var INDEX = /^\+?[0-9]+$/;
  var join = call.bind(Array.prototype.join);
  var arraySlice = call.bind(Array.prototype.slice);

  // "a.b[0].c" -> ["a", "b", "0", "c"]; "" -> [].
  function steps(path) {
    if (path === undefined || path === null) return [];
    var text = trim(toText(path));
    if (text === '') return [];
    if (indexOf(text, '[') >= 0) text = replace(text, BRACKET_STEP, '.$1');
    if (slice(text, 0, 1) === '.') text = replace(text, LEADING_DOT, '');
    return split(text, '.');
  }

  // The value at `path`, taking a step only through an own property whose
  // value is not undefined.
  function get(obj, path) {
    return walk(obj, steps(path), 0);
  }

  function walk(obj, parts, from) {
    var current = obj;
    for (var i = from; i < parts.length; i++) {
      if (current === null || current === undefined) return undefined;
      if (!hasOwn(current, parts[i]) || current[parts[i]] === undefined) return undefined;
      current = current[parts[i]];
    }
    return current;
  }

  // The first `name=value` of the URL's query string, `+` read as a space,
  // then percent-decoded; "" when absent. Found in Rust (see data.rs).
  function queryParam(name) {
    var raw = hostQueryParam(name);
    return raw === undefined ? '' : decode(raw);
  }

  // The cookie's value, percent-decoded where it can be; cookies written
  // on the page count (see browser.js).
  function cookie(name) {
    var raw = browser.cookie(toText(name));
    if (raw === undefined) return undefined;
    try {
      return decode(raw);
    } catch (e) {
      return raw;
    }
  }

  function globalValue(path) {
    return get(part('globals'), path);
  }

  function dataLayer(path) {
    var layer = part('dataLayer');
    if (!isArray(layer)) return undefined;
    for (var i = layer.length - 1; i >= 0; i--) {
      var value = get(layer[i], path);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  // browserOnly: the helpers that throw here (handlebox_protocol::BROWSER_ONLY).
  function unavailable(name) {
    return function () {
      browser.refuse(name, 'it only works in a browser');
    };
  }

  // `this.validate(schema, obj, key)`: checks `obj` (or the value at `key`
  // in it) against a JSON Schema and writes the outcome to the console, as
  // the reference does in its test mode.
  function validate(schema, obj, key) {
    if (schema === undefined || schema === null) {
      throw new TypeErrorCtor('validate needs a JSON Schema as its first argument');
    }
    var value = key === undefined ? obj : get(obj, key);
    var what;
    if (key !== undefined) {
      what = 'window.digitalData.' + toText(key);
    } else if (obj !== null && typeof obj === 'object' && typeof obj.name === 'string') {
      what = '"' + obj.name + '" event';
    } else {
      what = 'window.digitalData';
    }
    var valueText = value === undefined ? 'null' : stringify(value);
    var lines = hostSchemaErrors(stringify(schema), valueText === undefined ? 'null' : valueText);
    if (lines.length === 0) {
      hostLog('log', what + ' is valid!');
      return true;
    }
    hostLog('log', what + ' validation errors:');
    for (var i = 0; i < lines.length; i++) hostLog('log', lines[i]);
    return false;
  }

  var helpers = {
    // A fresh copy of the value at a path, read in Rust (see data.rs).
    digitalData: hostDigitalData,
    get: get,
    queryParam: queryParam,
    cookie: cookie,
    global: globalValue,
    dataLayer: dataLayer,
    domQuery: browser.domQuery,
    validate: validate
  };
  defineProperty(global, '_domQuery', {
    value: browser.domQuery,
    writable: true,
    enumerable: false,
    configurable: true
  });
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

  // Sorting with a comparator, written here in JavaScript: the engine's own
  // sort hands the comparator to Rust's sort, which panics (and so ends the
  // instance) when the comparator is inconsistent, such as
  // `function () { return Math.random() - 0.5; }`. A browser sorts somehow;
  // so does this stable merge sort, with the specification's steps around it
  // (holes skipped, `undefined` last, the result written back).
  var RangeErrorCtor = RangeError;
  var numberOf = Number;
  var toObject = Object;
  var trunc = Math.trunc;
  var isNaNValue = isNaN;
  var arrayPrototype = Array.prototype;
  var typedArrayPrototype = Object.getPrototypeOf(Int8Array.prototype);
  var nativeTypedSort = typedArrayPrototype.sort;
  var nativeTypedToSorted = typedArrayPrototype.toSorted;

  function lengthOf(object) {
    var length = trunc(numberOf(object.length));
    if (!(length > 0)) return 0;
    return length > 9007199254740991 ? 9007199254740991 : length;
  }

  function checkComparator(compare) {
    if (compare !== undefined && typeof compare !== 'function') {
      throw new TypeErrorCtor('The comparison function must be either a function or undefined');
    }
  }

  function arrayCompare(compare) {
    return function (x, y) {
      if (x === undefined) return y === undefined ? 0 : 1;
      if (y === undefined) return -1;
      if (compare !== undefined) {
        var v = numberOf(invoke(compare, undefined, x, y));
        return isNaNValue(v) ? 0 : v;
      }
      var xs = `${x}`;
      var ys = `${y}`;
      return xs < ys ? -1 : xs > ys ? 1 : 0;
    };
  }

  function typedCompare(compare) {
    return function (x, y) {
      var v = numberOf(invoke(compare, undefined, x, y));
      return isNaNValue(v) ? 0 : v;
    };
  }

  // A stable merge sort of `items` in place.
  function mergeSort(items, compare) {
    var n = items.length;
    var buffer = [];
    for (var width = 1; width < n; width *= 2) {
      for (var low = 0; low < n - width; low += 2 * width) {
        var middle = low + width;
        var high = middle + width < n ? middle + width : n;
        var i = low, j = middle, k = low;
        while (i < middle && j < high) {
          buffer[k++] = compare(items[j], items[i]) < 0 ? items[j++] : items[i++];
        }
        while (i < middle) buffer[k++] = items[i++];
        while (j < high) buffer[k++] = items[j++];
        for (k = low; k < high; k++) items[k] = buffer[k];
      }
    }
    return items;
  }

  function readItems(object, length, skipHoles) {
    var items = [];
    for (var k = 0; k < length; k++) {
      if (!skipHoles || k in object) items[items.length] = object[k];
    }
    return items;
  }

  function defineMethod(target, name, length, body) {
    defineProperty(body, 'name', { value: name, configurable: true });
    defineProperty(body, 'length', { value: length, configurable: true });
    defineProperty(target, name, { value: body, writable: true, enumerable: false, configurable: true });
  }

  defineMethod(arrayPrototype, 'sort', 1, function (compare) {
    checkComparator(compare);
    var object = toObject(this);
    var length = lengthOf(object);
    var items = mergeSort(readItems(object, length, true), arrayCompare(compare));
    var k;
    for (k = 0; k < items.length; k++) object[k] = items[k];
    for (; k < length; k++) delete object[k];
    return object;
  });

  defineMethod(arrayPrototype, 'toSorted', 1, function (compare) {
    checkComparator(compare);
    var object = toObject(this);
    var length = lengthOf(object);
    if (length > 4294967295) throw new RangeErrorCtor('Invalid array length');
    return mergeSort(readItems(object, length, false), arrayCompare(compare));
  });

  defineMethod(typedArrayPrototype, 'sort', 1, function (compare) {
    checkComparator(compare);
    if (compare === undefined) return invoke(nativeTypedSort, this);
    var length = this.length;
    var items = mergeSort(readItems(this, length, false), typedCompare(compare));
    for (var k = 0; k < items.length && k < this.length; k++) this[k] = items[k];
    return this;
  });

  defineMethod(typedArrayPrototype, 'toSorted', 1, function (compare) {
    checkComparator(compare);
    var copy = invoke(nativeTypedToSorted, this);
    if (compare === undefined) return copy;
    var items = mergeSort(readItems(this, this.length, false), typedCompare(compare));
    for (var k = 0; k < items.length; k++) copy[k] = items[k];
    return copy;
  });

  var MARK = '\uFDD0';
  var isFiniteNumber = isFinite;
  var DateCtor = Date;

  function markNullInJson(key, value) {
    if (typeof value === 'number' && !isFiniteNumber(value)) {
      return MARK + (value === value ? 't' : 'f') + toText(value);
    }
    if (value === null) {
      var original = this[key];
      if (original !== null && typeof original === 'object') {
        var text;
        try {
          text = toText(original);
        } catch (e) {
          text = '[object]';
        }
        return MARK + 't' + text;
      }
    }
    return value;
  }

  function reviveOne(text) {
    var shown = slice(text, 2);
    if (shown === 'NaN') return NaN;
    if (shown === 'Infinity') return Infinity;
    if (shown === '-Infinity') return -Infinity;
    if (shown === 'Invalid Date') return new DateCtor(NaN);
    return null;
  }

  function revive(value) {
    if (typeof value === 'string') {
      return slice(value, 0, 1) === MARK && value.length > 1 ? reviveOne(value) : value;
    }
    if (value !== null && typeof value === 'object') {
      var names = keys(value);
      for (var i = 0; i < names.length; i++) value[names[i]] = revive(value[names[i]]);
    }
    return value;
  }

  function own(object, key) {
    return object !== null && typeof object === 'object' && hasOwn(object, key) ? object[key] : undefined;
  }

  function isRecord(value) {
    return value !== null && typeof value === 'object' && !isArray(value);
  }

  // "a.b[0]" -> ["a", "b", "0"], empty steps left out.
  function writeSteps(path) {
    var text = toText(path);
    if (indexOf(text, '[') >= 0 || indexOf(text, ']') >= 0) {
      text = replace(text, BRACKET, function (bracket) { return bracket === '[' ? '.' : ''; });
    }
    var parts = split(text, '.');
    var kept = [];
    for (var i = 0; i < parts.length; i++) if (parts[i] !== '') kept[kept.length] = parts[i];
    return kept;
  }

  function arrayIndex(key) {
    return exec(INDEX, key) === null ? -1 : numberOf(key);
  }

  // Writes `value` at `path` of `root`, creating missing objects on the way;
  // a step through null, a primitive or past an array's end throws in the
  // reference, and is answered here as [path, where] instead.
  function setPath(root, path, value) {
    var parts = writeSteps(path);
    if (parts.length === 0) return undefined;
    var current = root;
    function failed(i) {
      return [toText(path), i === 0 ? 'the event' : join(arraySlice(parts, 0, i), '.')];
    }
    for (var i = 0; i < parts.length - 1; i++) {
      var key = parts[i];
      if (isArray(current)) {
        var index = arrayIndex(key);
        if (index < 0 || index >= current.length) return failed(i);
        current = current[index];
      } else if (isRecord(current)) {
        if (!hasOwn(current, key) || current[key] === undefined) current[key] = {};
        current = current[key];
      } else {
        return failed(i);
      }
    }
    var last = parts[parts.length - 1];
    if (isArray(current)) {
      var at = arrayIndex(last);
      if (at < 0 || at > current.length) return failed(parts.length - 1);
      current[at] = value;
      return undefined;
    }
    if (!isRecord(current)) return failed(parts.length - 1);
    current[last] = value;
    return undefined;
  }

  return freeze({
    helpers: helpers,
    setPath: setPath,
    eventName: function (event) {
      var name = own(event, 'name');
      return typeof name === 'string' ? name : '';
    },
    integration: function (name, options) {
      return {
        getName: function () { return name; },
        getOption: function (option) { return hasOwn(options, option) ? options[option] : undefined; }
      };
    },
    isUnsupported: browser.isUnsupported,
    openPage: browser.openPage,
    takeCookieWrites: browser.takeCookieWrites,
    // JSON.stringify's text; where that holds a `null` that was not one
    // (NaN, ±Infinity, an invalid Date), the text again with such values
    // marked, since the pipeline must keep them until a call is serialised
    // (see NULL_IN_JSON in handlebox-protocol).
    toJson: function (value) {
      var text = stringify(value);
      if (typeof text !== 'string' || indexOf(text, 'null') < 0) return text;
      return stringify(value, markNullInJson);
    },
    // The inverse of the marks above, for data coming back into the page.
    revive: revive
  });
})

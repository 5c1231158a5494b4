// Formatting by locale as the page's browser does it: `Intl`,
// `toLocaleString`, `toLocaleDateString`, `localeCompare`. Boa's `Intl`
// does the work with real locale data (asked of the host, see
// locale_data.rs); this script adds what a browser has and Boa has not:
// - the page's `language` is the default locale, as a browser's own
//   language is (Boa alone would use the root locale, `und`);
// - `style: 'currency'` and `style: 'percent'` (Boa formats the digits,
//   cldr_patterns.rs puts them into the locale's pattern, with its sign,
//   symbol and spacing);
// - numeric dates as Chrome writes them (`11/29/2026`, `1.11.2026`; ICU4X
//   writes `11/29/26`, `01.11.26`) for `toLocaleDateString` and
//   `toLocaleString` with their default fields, in UTC (the sandbox's
//   time zone);
// - options Handlebox cannot honour fail with a RangeError that says so,
//   instead of a number formatted some other way.
// Built once, before the instance's snapshot.
(function (host) {
  'use strict';
  var call = Function.prototype.call;
  var construct = Reflect.construct;
  var apply = Reflect.apply;
  var defineProperty = Object.defineProperty;
  var create = Object.create;
  var arraySlice = call.bind(Array.prototype.slice);
  var concat = call.bind(Array.prototype.concat);
  var join = call.bind(Array.prototype.join);
  var isArray = Array.isArray;
  var hasOwn = call.bind(Object.prototype.hasOwnProperty);
  var numberValue = call.bind(Number.prototype.valueOf);
  var toUpper = call.bind(String.prototype.toUpperCase);
  var test = call.bind(RegExp.prototype.test);
  var exec = call.bind(RegExp.prototype.exec);
  var isFinite = Number.isFinite;
  var abs = Math.abs;
  var RangeErrorCtor = RangeError;
  var TypeErrorCtor = TypeError;
  var CURRENCY_CODE = /^[A-Za-z]{3}$/;
  var DECIMAL = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

  var canonicalLocales = Intl.getCanonicalLocales;

  // The page's language as a locale; `en-US` when it has none, or one
  // that is not a language tag (`ru_RU`, `en-US,en;q=0.9`).
  function language() {
    var tag = host.page('language');
    try {
      return tag ? canonicalLocales(tag)[0] : 'en-US';
    } catch (e) {
      return 'en-US';
    }
  }

  // `locales` with the page's language after them: a browser falls back
  // to its own language when none of the requested locales has data (Boa
  // alone would fall back to the root locale); and the page's language
  // alone when none are requested.
  function withFallback(locales) {
    var fallback = language();
    if (locales === undefined) {
      return fallback;
    }
    return concat(isArray(locales) ? locales : [locales], [fallback]);
  }

  // `args` with the page's language as the fallback of its locales.
  function withLanguage(args, at) {
    var copy = arraySlice(args);
    copy[at] = withFallback(copy[at]);
    return copy;
  }

  function method(object, name, f) {
    defineProperty(object, name, { value: f, writable: true, configurable: true, enumerable: false });
  }

  // The constructor `name` of `Intl`, taking the page's language as its
  // default locale; `make` builds the instance (by default, Boa's).
  function wrapConstructor(name, make) {
    var native = Intl[name];
    if (typeof native !== 'function') {
      return;
    }
    var build = make || function (target, args, newTarget) {
      return construct(target, withLanguage(args, 0), newTarget);
    };
    var wrapped = new Proxy(native, {
      construct: function (target, args, newTarget) {
        return build(target, args, newTarget === wrapped ? target : newTarget);
      },
      apply: function (target, self, args) {
        return build(target, args, target);
      },
    });
    method(Intl, name, wrapped);
    method(native.prototype, 'constructor', wrapped);
  }

  function unsupported(option, value) {
    return new RangeErrorCtor(
      'Intl.NumberFormat option ' + option + ": '" + value + "' is not supported in the Handlebox sandbox"
    );
  }

  // An integer option of `options` within [low, high], as ECMA-402's
  // GetNumberOption reads it.
  function digitOption(options, name, low, high) {
    var value = options[name];
    if (value === undefined) {
      return undefined;
    }
    value = +value;
    if (value !== value || value < low || value > high) {
      throw new RangeErrorCtor(name + ' value is out of range.');
    }
    return Math.floor(value);
  }

  // ECMA-402's fraction digits, from the options and the style's defaults.
  function fractionDigits(options, minimumDefault, maximumDefault) {
    var minimum = digitOption(options, 'minimumFractionDigits', 0, 100);
    var maximum = digitOption(options, 'maximumFractionDigits', 0, 100);
    if (minimum === undefined && maximum === undefined) {
      return [minimumDefault, maximumDefault];
    }
    if (minimum === undefined) {
      return [Math.min(minimumDefault, maximum), maximum];
    }
    if (maximum === undefined) {
      return [minimum, Math.max(minimum, maximumDefault)];
    }
    if (minimum > maximum) {
      throw new RangeErrorCtor('maximumFractionDigits value is out of range.');
    }
    return [minimum, maximum];
  }

  // The decimal text of `x` × 100, exactly (no floating-point product).
  function hundredfold(x) {
    var parts = exec(DECIMAL, String(x));
    if (!parts) {
      return x * 100;
    }
    var fraction = parts[2] || '';
    var exponent = (parts[3] ? +parts[3] : 0) - fraction.length + 2;
    return parts[1] + fraction + 'e' + exponent;
  }

  var NativeNumberFormat = Intl.NumberFormat;
  var NativeLocale = Intl.Locale;

  // The names the CLDR patterns of `tag` are looked up by, most specific
  // first, as CLDR inherits them: a script that is not the language's own
  // never falls back to the language (`zh-TW` is `zh-Hant-TW`, then
  // `zh-Hant`, whose patterns are not `zh`'s); the language's own script
  // does (`zh-SG`: `zh-Hans-SG`, `zh-Hans`, `zh-SG`, `zh`). The root
  // (`und`) comes last, added by cldr_patterns.rs.
  function patternLocale(tag) {
    try {
      var locale = new NativeLocale(tag);
      if (locale.language === 'und') {
        return 'und';
      }
      var full = locale.maximize();
      var language = full.language;
      var script = language + '-' + full.script;
      var names = full.region ? [script + '-' + full.region, script] : [script];
      if (new NativeLocale(language).maximize().script === full.script) {
        if (full.region) {
          names.push(language + '-' + full.region);
        }
        names.push(language);
      }
      return join(names, ',');
    } catch (e) {
      return tag;
    }
  }

  var SIGN_DISPLAYS = ['auto', 'never', 'always', 'exceptZero', 'negative'];
  // Directed rounding modes, as they read for the magnitude of a negative
  // number (its digits are formatted without their sign).
  var MIRRORED = { floor: 'ceil', ceil: 'floor', halfFloor: 'halfCeil', halfCeil: 'halfFloor' };
  var NONZERO = /[1-9]/;

  // The sign shown, by `signDisplay`, for a number that is `negative` and
  // whose shown digits are all zero or not.
  function signOf(display, negative, zero) {
    switch (display) {
      case 'never':
        return '';
      case 'always':
        return negative ? '-' : '+';
      case 'exceptZero':
        return zero ? '' : negative ? '-' : '+';
      case 'negative':
        return negative && !zero ? '-' : '';
      default:
        return negative ? '-' : '';
    }
  }

  // An `Intl.NumberFormat` for `style: 'currency'` or `'percent'`.
  function styledNumberFormat(locales, options, style) {
    var code = '';
    var display = '';
    var digits = 0;
    if (style === 'currency') {
      code = options.currency;
      if (code === undefined) {
        throw new TypeErrorCtor('Currency code is required with currency style.');
      }
      code = String(code);
      if (!test(CURRENCY_CODE, code)) {
        throw new RangeErrorCtor('Invalid currency code : ' + code);
      }
      code = toUpper(code);
      display = options.currencyDisplay === undefined ? 'symbol' : String(options.currencyDisplay);
      if (display === 'name') {
        throw unsupported('currencyDisplay', display);
      }
      if (display !== 'symbol' && display !== 'narrowSymbol' && display !== 'code') {
        throw new RangeErrorCtor(
          'Value ' + display + ' out of range for Intl.NumberFormat options property currencyDisplay'
        );
      }
      var currencySign = options.currencySign;
      if (currencySign !== undefined && String(currencySign) !== 'standard') {
        throw unsupported('currencySign', String(currencySign));
      }
      digits = host.currencyDigits(code);
    }
    var notation = options.notation;
    if (notation !== undefined && String(notation) !== 'standard') {
      throw unsupported('notation', String(notation));
    }
    var signDisplay = options.signDisplay === undefined ? 'auto' : String(options.signDisplay);
    if (SIGN_DISPLAYS.indexOf(signDisplay) < 0) {
      throw new RangeErrorCtor(
        'Value ' + signDisplay + ' out of range for Intl.NumberFormat options property signDisplay'
      );
    }
    var roundingMode = options.roundingMode === undefined ? undefined : String(options.roundingMode);
    var decimal = {
      minimumIntegerDigits: options.minimumIntegerDigits,
      useGrouping: options.useGrouping,
      roundingMode: roundingMode,
      roundingIncrement: options.roundingIncrement,
      roundingPriority: options.roundingPriority,
      trailingZeroDisplay: options.trailingZeroDisplay,
      numberingSystem: options.numberingSystem,
    };
    var minimumSignificant = options.minimumSignificantDigits;
    var maximumSignificant = options.maximumSignificantDigits;
    if (minimumSignificant !== undefined || maximumSignificant !== undefined) {
      decimal.minimumSignificantDigits = minimumSignificant;
      decimal.maximumSignificantDigits = maximumSignificant;
    } else {
      var fraction = fractionDigits(options, digits, digits);
      decimal.minimumFractionDigits = fraction[0];
      decimal.maximumFractionDigits = fraction[1];
    }
    var inner = new NativeNumberFormat(withFallback(locales), decimal);
    var locale = inner.resolvedOptions().locale;
    var patterns = patternLocale(locale);
    var positiveFormat = inner.format;
    var negativeFormat;
    // The digits of a negative number's magnitude, rounded as the signed
    // number is.
    function magnitudeOf(negative) {
      if (!negative || !hasOwn(MIRRORED, roundingMode)) {
        return positiveFormat;
      }
      if (negativeFormat === undefined) {
        decimal.roundingMode = MIRRORED[roundingMode];
        negativeFormat = new NativeNumberFormat(locale, decimal).format;
      }
      return negativeFormat;
    }

    var format = function (value) {
      var negative;
      var text;
      if (typeof value === 'bigint') {
        negative = value < 0;
        var whole = negative ? -value : value;
        text = magnitudeOf(negative)(style === 'percent' ? String(whole) + '00' : whole);
      } else {
        var x = +value;
        negative = x < 0 || (x === 0 && 1 / x < 0);
        var magnitude = abs(x);
        if (isFinite(magnitude)) {
          text = magnitudeOf(negative)(style === 'percent' ? hundredfold(magnitude) : magnitude);
        } else {
          text = host.nonFinite(patterns, x !== x, false);
          negative = negative && x === x;
        }
      }
      var sign = signOf(signDisplay, negative, !test(NONZERO, text));
      return host.numberStyle(patterns, style, code, display, text, sign);
    };
    var formatter = create(NativeNumberFormat.prototype);
    defineProperty(formatter, 'format', {
      get: function () { return format; },
      configurable: true,
    });
    method(formatter, 'resolvedOptions', function resolvedOptions() {
      var resolved = inner.resolvedOptions();
      resolved.style = style;
      if (style === 'currency') {
        resolved.currency = code;
        resolved.currencyDisplay = display;
        resolved.currencySign = 'standard';
      }
      resolved.signDisplay = signDisplay;
      return resolved;
    });
    return formatter;
  }

  function buildNumberFormat(target, args, newTarget) {
    var options = args[1];
    var style = options === undefined || options === null ? undefined : Object(options).style;
    if (style !== undefined) {
      style = String(style);
    }
    if (style === 'currency' || style === 'percent') {
      return styledNumberFormat(args[0], Object(options), style);
    }
    var formatter = construct(target, withLanguage(args, 0), newTarget);
    var nativeFormat = formatter.format;
    var patterns = patternLocale(formatter.resolvedOptions().locale);
    // Boa throws for NaN and ±Infinity; a browser writes them.
    var format = function (value) {
      if (typeof value !== 'bigint') {
        var x = Number(value);
        if (!isFinite(x)) {
          return host.nonFinite(patterns, x !== x, x < 0);
        }
      }
      return nativeFormat(value);
    };
    defineProperty(formatter, 'format', {
      get: function () { return format; },
      configurable: true,
    });
    return formatter;
  }

  wrapConstructor('NumberFormat', buildNumberFormat);
  wrapConstructor('DateTimeFormat');
  wrapConstructor('Collator');
  wrapConstructor('PluralRules');
  wrapConstructor('ListFormat');
  wrapConstructor('Segmenter');

  var NativeDateTimeFormat = Intl.DateTimeFormat;
  var timeValue = call.bind(Date.prototype.getTime);
  var utcYear = call.bind(Date.prototype.getUTCFullYear);
  var utcMonth = call.bind(Date.prototype.getUTCMonth);
  var utcDay = call.bind(Date.prototype.getUTCDate);
  var nativeTimeString = Date.prototype.toLocaleTimeString;
  var indexOf = call.bind(String.prototype.indexOf);
  // Fields that make a date other than the default numeric one.
  var OTHER_FIELDS = [
    'weekday', 'era', 'hour', 'minute', 'second', 'dayPeriod', 'fractionalSecondDigits',
    'timeZoneName', 'dateStyle', 'timeStyle', 'hour12', 'hourCycle', 'calendar', 'numberingSystem',
  ];
  var UTC_NAMES = ['UTC', 'utc', 'Etc/UTC', 'GMT', 'Etc/GMT'];

  // Whether `options` asks for the default numeric date (year, month and
  // day, all numeric, or none named) in UTC, and nothing more; with
  // `dateFields` false, whether it names no date field at all.
  function defaultDate(options, dateFields) {
    if (options === undefined) {
      return true;
    }
    if (options === null) {
      return false;
    }
    var o = Object(options);
    for (var i = 0; i < OTHER_FIELDS.length; i++) {
      if (o[OTHER_FIELDS[i]] !== undefined) {
        return false;
      }
    }
    var year = o.year;
    var month = o.month;
    var day = o.day;
    var named = year !== undefined || month !== undefined || day !== undefined;
    if (named && (!dateFields || year !== 'numeric' || month !== 'numeric' || day !== 'numeric')) {
      return false;
    }
    var zone = o.timeZone;
    return zone === undefined || UTC_NAMES.indexOf(String(zone)) >= 0;
  }

  // The locale Boa resolves `locales` to, when its digits are ASCII ones
  // and it names no calendar or numbering system of its own.
  function latinLocale(locales) {
    var resolved = new NativeDateTimeFormat(withFallback(locales)).resolvedOptions();
    if (resolved.numberingSystem !== 'latn' || resolved.calendar !== 'gregory' || indexOf(resolved.locale, '-u-') >= 0) {
      return undefined;
    }
    return resolved.locale;
  }

  // The date in the numeric pattern found by `patterns` (see patternLocale).
  function numericDate(date, patterns) {
    return host.numericDate(patterns, utcYear(date), utcMonth(date) + 1, utcDay(date));
  }

  var nativeDateString = Date.prototype.toLocaleDateString;
  method(Date.prototype, 'toLocaleDateString', {
    toLocaleDateString: function () {
      var locales = arguments[0];
      var options = arguments[1];
      var time = timeValue(this);
      if (time === time && defaultDate(options, true)) {
        var locale = latinLocale(locales);
        if (locale !== undefined) {
          return numericDate(this, patternLocale(locale));
        }
      }
      return apply(nativeDateString, this, withLanguage(arguments, 0));
    },
  }.toLocaleDateString);

  var nativeString = Date.prototype.toLocaleString;
  method(Date.prototype, 'toLocaleString', {
    toLocaleString: function () {
      var locales = arguments[0];
      var options = arguments[1];
      var time = timeValue(this);
      if (time === time && defaultDate(options, false)) {
        var locale = latinLocale(locales);
        if (locale !== undefined) {
          var clock = apply(nativeTimeString, this, [locale, options]);
          var patterns = patternLocale(locale);
          return host.dateTime(patterns, numericDate(this, patterns), clock);
        }
      }
      return apply(nativeString, this, withLanguage(arguments, 0));
    },
  }.toLocaleString);

  // The locale-taking methods, with the page's language as the default.
  function wrapMethod(prototype, name, at) {
    var native = prototype[name];
    var named = {};
    named[name] = function () {
      return apply(native, this, withLanguage(arguments, at));
    };
    method(prototype, name, named[name]);
  }

  var NumberFormat = Intl.NumberFormat;
  method(Number.prototype, 'toLocaleString', {
    toLocaleString: function () {
      var x = numberValue(this);
      return new NumberFormat(arguments[0], arguments[1]).format(x);
    },
  }.toLocaleString);
  var bigIntValue = call.bind(BigInt.prototype.valueOf);
  method(BigInt.prototype, 'toLocaleString', {
    toLocaleString: function () {
      return new NumberFormat(arguments[0], arguments[1]).format(bigIntValue(this));
    },
  }.toLocaleString);
  wrapMethod(Date.prototype, 'toLocaleTimeString', 0);
  wrapMethod(String.prototype, 'localeCompare', 1);
  wrapMethod(String.prototype, 'toLocaleUpperCase', 0);
  wrapMethod(String.prototype, 'toLocaleLowerCase', 0);
});

// The page's browser, as a handler sees it: `window`, `location`,
// `document` (a read-only view of the page's HTML), `navigator`, `URL`,
// `URLSearchParams`, storage, cookies, and a clear error for what a sandbox
// cannot do (navigation, network, timers, changing the DOM). It is built
// once, before the instance's snapshot; every value is read from the page
// the host sent, through the natives in `host` (see browser.rs, dom.rs and
// data.rs), so each page sees its own and nothing it writes outlives it.
(function (host) {
  'use strict';
  var global = globalThis;
  var call = Function.prototype.call;
  var hasOwn = call.bind(Object.prototype.hasOwnProperty);
  var push = call.bind(Array.prototype.push);
  var join = call.bind(Array.prototype.join);
  var indexOf = call.bind(String.prototype.indexOf);
  var slice = call.bind(String.prototype.slice);
  var split = call.bind(String.prototype.split);
  var trim = call.bind(String.prototype.trim);
  var toLower = call.bind(String.prototype.toLowerCase);
  var toUpper = call.bind(String.prototype.toUpperCase);
  var replace = call.bind(String.prototype.replace);
  var charCodeAt = call.bind(String.prototype.charCodeAt);
  var fromCharCode = String.fromCharCode;
  var defineProperty = Object.defineProperty;
  var freeze = Object.freeze;
  var create = Object.create;
  var keys = Object.keys;
  var isArray = Array.isArray;
  var toText = String;
  var parseDate = Date.parse;
  var now = Date.now;
  var ErrorCtor = Error;
  var TypeErrorCtor = TypeError;
  var SyntaxErrorCtor = SyntaxError;
  var iteratorOf = function (items) { return items[Symbol.iterator](); };
  var unsupported = new WeakSet();
  var markUnsupported = call.bind(WeakSet.prototype.add, unsupported);
  var isUnsupported = call.bind(WeakSet.prototype.has, unsupported);

  // An error for something only a real browser can do; the pipeline
  // reports it as `unsupported`.
  function refuse(name, why) {
    var error = new ErrorCtor(name + ' is not available in the sandbox: ' + why);
    markUnsupported(error);
    throw error;
  }

  function unavailable(name, why) {
    return function () { refuse(name, why); };
  }

  var NETWORK = 'nothing leaves the sandbox';
  var NAVIGATION = 'a handler cannot navigate the page';
  var TIMERS = 'handlers run once, synchronously';
  var READ_ONLY = "the page's document is read-only";

  function hidden(object, name, value) {
    defineProperty(object, name, { value: value, writable: true, enumerable: false, configurable: true });
  }

  function getter(object, name, get, set) {
    defineProperty(object, name, { get: get, set: set, enumerable: true, configurable: true });
  }

  // The page's parts, converted from the host's JSON when first read.
  var page = { cookies: undefined, globals: undefined, dataLayer: undefined };

  function part(name) {
    if (page[name] === undefined) page[name] = host.page(name);
    return page[name];
  }

  // --- URLs -------------------------------------------------------------

  var URL_PARTS = host.urlParts;

  function parsePairs(text) {
    text = toText(text);
    if (slice(text, 0, 1) === '?') text = slice(text, 1);
    return host.formParse(text);
  }

  class URLSearchParams {
    #list;
    #url;

    constructor(init) {
      this.#url = null;
      if (init === undefined || init === null) {
        this.#list = [];
      } else if (typeof init === 'object' && typeof init[Symbol.iterator] === 'function') {
        var list = [];
        for (var pair of init) {
          var items = [];
          for (var item of pair) push(items, toText(item));
          if (items.length !== 2) {
            throw new TypeErrorCtor("Failed to construct 'URLSearchParams': The provided value cannot be converted to a sequence.");
          }
          push(list, items);
        }
        this.#list = list;
      } else if (typeof init === 'object' || typeof init === 'function') {
        this.#list = [];
        var names = keys(init);
        for (var i = 0; i < names.length; i++) push(this.#list, [names[i], toText(init[names[i]])]);
      } else {
        this.#list = parsePairs(init);
      }
    }

    static attach(params, url, list) {
      params.#url = url;
      params.#list = list;
    }

    static replaceList(params, list) {
      params.#list = list;
    }

    #changed() {
      if (this.#url !== null) setUrlSearch(this.#url, host.formSerialize(this.#list));
    }

    get size() { return this.#list.length; }

    append(name, value) {
      push(this.#list, [toText(name), toText(value)]);
      this.#changed();
    }

    delete(name, value) {
      name = toText(name);
      var kept = [];
      for (var i = 0; i < this.#list.length; i++) {
        var pair = this.#list[i];
        if (pair[0] !== name || (value !== undefined && pair[1] !== toText(value))) push(kept, pair);
      }
      this.#list = kept;
      this.#changed();
    }

    get(name) {
      name = toText(name);
      for (var i = 0; i < this.#list.length; i++) if (this.#list[i][0] === name) return this.#list[i][1];
      return null;
    }

    getAll(name) {
      name = toText(name);
      var found = [];
      for (var i = 0; i < this.#list.length; i++) if (this.#list[i][0] === name) push(found, this.#list[i][1]);
      return found;
    }

    has(name, value) {
      name = toText(name);
      for (var i = 0; i < this.#list.length; i++) {
        var pair = this.#list[i];
        if (pair[0] === name && (value === undefined || pair[1] === toText(value))) return true;
      }
      return false;
    }

    set(name, value) {
      name = toText(name);
      value = toText(value);
      var kept = [];
      var done = false;
      for (var i = 0; i < this.#list.length; i++) {
        var pair = this.#list[i];
        if (pair[0] !== name) {
          push(kept, pair);
        } else if (!done) {
          push(kept, [name, value]);
          done = true;
        }
      }
      if (!done) push(kept, [name, value]);
      this.#list = kept;
      this.#changed();
    }

    sort() {
      var list = this.#list;
      for (var i = 1; i < list.length; i++) {
        var pair = list[i];
        var j = i - 1;
        while (j >= 0 && list[j][0] > pair[0]) {
          list[j + 1] = list[j];
          j--;
        }
        list[j + 1] = pair;
      }
      this.#changed();
    }

    forEach(callback, thisArg) {
      for (var i = 0; i < this.#list.length; i++) {
        call.call(callback, thisArg, this.#list[i][1], this.#list[i][0], this);
      }
    }

    entries() {
      var pairs = [];
      for (var i = 0; i < this.#list.length; i++) push(pairs, [this.#list[i][0], this.#list[i][1]]);
      return iteratorOf(pairs);
    }

    keys() {
      var names = [];
      for (var i = 0; i < this.#list.length; i++) push(names, this.#list[i][0]);
      return iteratorOf(names);
    }

    values() {
      var values = [];
      for (var i = 0; i < this.#list.length; i++) push(values, this.#list[i][1]);
      return iteratorOf(values);
    }

    [Symbol.iterator]() { return this.entries(); }

    toString() { return host.formSerialize(this.#list); }
  }

  var attachParams = URLSearchParams.attach;
  var replaceParams = URLSearchParams.replaceList;
  delete URLSearchParams.attach;
  delete URLSearchParams.replaceList;

  class URL {
    #href;
    #params;

    constructor(url, base) {
      var href = host.urlParse(toText(url), base === undefined ? undefined : toText(base));
      if (href === null) throw new TypeErrorCtor("Failed to construct 'URL': Invalid URL");
      this.#href = href;
      this.#params = null;
    }

    static canParse(url, base) {
      return host.urlParse(toText(url), base === undefined ? undefined : toText(base)) !== null;
    }

    static parse(url, base) {
      try {
        return new URL(url, base);
      } catch (e) {
        return null;
      }
    }

    static setSearchFromParams(url, search) {
      url.#href = host.urlSetPart(url.#href, 'search', search);
    }

    #set(name, value) {
      var href = host.urlSetPart(this.#href, name, toText(value));
      if (href === null) throw new TypeErrorCtor("Failed to set the 'href' property on 'URL': Invalid URL");
      this.#href = href;
      if (this.#params !== null && (name === 'href' || name === 'search')) {
        replaceParams(this.#params, parsePairs(host.urlPart(href, 'search')));
      }
    }

    get searchParams() {
      if (this.#params === null) {
        this.#params = new URLSearchParams();
        attachParams(this.#params, this, parsePairs(host.urlPart(this.#href, 'search')));
      }
      return this.#params;
    }

    get href() { return this.#href; }
    set href(value) { this.#set('href', value); }
    get origin() { return host.urlPart(this.#href, 'origin'); }
    get protocol() { return host.urlPart(this.#href, 'protocol'); }
    set protocol(value) { this.#set('protocol', value); }
    get username() { return host.urlPart(this.#href, 'username'); }
    set username(value) { this.#set('username', value); }
    get password() { return host.urlPart(this.#href, 'password'); }
    set password(value) { this.#set('password', value); }
    get host() { return host.urlPart(this.#href, 'host'); }
    set host(value) { this.#set('host', value); }
    get hostname() { return host.urlPart(this.#href, 'hostname'); }
    set hostname(value) { this.#set('hostname', value); }
    get port() { return host.urlPart(this.#href, 'port'); }
    set port(value) { this.#set('port', value); }
    get pathname() { return host.urlPart(this.#href, 'pathname'); }
    set pathname(value) { this.#set('pathname', value); }
    get search() { return host.urlPart(this.#href, 'search'); }
    set search(value) { this.#set('search', value); }
    get hash() { return host.urlPart(this.#href, 'hash'); }
    set hash(value) { this.#set('hash', value); }
    toString() { return this.#href; }
    toJSON() { return this.#href; }
  }

  var setUrlSearch = URL.setSearchFromParams;
  delete URL.setSearchFromParams;

  // --- location -----------------------------------------------------------

  function pageHref() {
    var href = host.urlParse(host.page('url'));
    return href === null ? 'about:blank' : href;
  }

  function Location() {
    throw new TypeErrorCtor('Illegal constructor');
  }
  var location = create(Location.prototype);
  for (var p = 0; p < URL_PARTS.length; p++) {
    // A browser's `location` has no `username` or `password`.
    if (URL_PARTS[p] === 'username' || URL_PARTS[p] === 'password') continue;
    (function (name) {
      getter(location, name, function () { return host.urlPart(pageHref(), name); }, function () {
        refuse('location.' + name + ' = …', NAVIGATION);
      });
    })(URL_PARTS[p]);
  }
  hidden(location, 'assign', unavailable('location.assign', NAVIGATION));
  hidden(location, 'replace', unavailable('location.replace', NAVIGATION));
  hidden(location, 'reload', unavailable('location.reload', NAVIGATION));
  hidden(location, 'toString', function () { return pageHref(); });
  hidden(location, 'valueOf', function () { return location; });

  // --- cookies ------------------------------------------------------------

  // The page's cookies as [name, value] in the order a browser lists them;
  // what handlers write changes it, as in a browser.
  var jar = null;
  var written = [];
  var writes = 0;

  function cookieJar() {
    if (jar !== null) return jar;
    jar = [];
    var cookies = part('cookies');
    if (cookies !== null && typeof cookies === 'object') {
      var names = keys(cookies);
      for (var i = 0; i < names.length; i++) {
        var value = cookies[names[i]];
        push(jar, [names[i], typeof value === 'string' ? value : toText(value)]);
      }
    }
    var earlier = host.page('cookieWrites');
    for (var w = 0; w < earlier.length; w++) applyCookie(earlier[w]);
    writes = earlier.length;
    return jar;
  }

  function cookieText() {
    var jar = cookieJar();
    var parts = [];
    for (var i = 0; i < jar.length; i++) push(parts, jar[i][0] === '' ? jar[i][1] : jar[i][0] + '=' + jar[i][1]);
    return join(parts, '; ');
  }

  // `document.cookie = "name=value; max-age=0"`: the cookie is set, or
  // removed when it has expired, as a browser keeps it for the page.
  function applyCookie(text) {
    var attributes = split(text, ';');
    var pair = attributes[0];
    var eq = indexOf(pair, '=');
    var name = eq < 0 ? '' : trim(slice(pair, 0, eq));
    var value = trim(eq < 0 ? pair : slice(pair, eq + 1));
    if (name === '' && value === '') return;
    var expired = false;
    var maxAge = false;
    for (var i = 1; i < attributes.length; i++) {
      var attribute = attributes[i];
      var at = indexOf(attribute, '=');
      var key = toLower(trim(at < 0 ? attribute : slice(attribute, 0, at)));
      var setting = trim(at < 0 ? '' : slice(attribute, at + 1));
      if (key === 'max-age') {
        maxAge = true;
        expired = Number(setting) <= 0;
      } else if (key === 'expires' && !maxAge) {
        var time = parseDate(setting);
        if (time === time) expired = time <= now();
      }
    }
    var jar = cookieJar();
    for (var j = 0; j < jar.length; j++) {
      if (jar[j][0] === name) {
        if (expired) {
          var kept = [];
          for (var k = 0; k < jar.length; k++) if (k !== j) push(kept, jar[k]);
          jar.length = 0;
          for (var m = 0; m < kept.length; m++) push(jar, kept[m]);
        } else {
          jar[j][1] = value;
        }
        return;
      }
    }
    if (!expired) push(jar, [name, value]);
  }

  // Chrome ignores a cookie longer than 4096 bytes; a page keeps at most
  // MAX_COOKIE_WRITES writes, so what a page lists stays within its output.
  var MAX_COOKIE_BYTES = 4096;
  var MAX_COOKIE_WRITES = 64;

  function writeCookie(text) {
    text = toText(text);
    var pair = split(text, ';')[0];
    if (pair.length > MAX_COOKIE_BYTES) return;
    cookieJar();
    if (writes >= MAX_COOKIE_WRITES) return;
    writes++;
    push(written, text);
    host.cookieWritten();
    applyCookie(text);
  }

  // The raw value of cookie `name`, for the `_cookie` helper.
  function cookieValue(name) {
    var jar = cookieJar();
    for (var i = 0; i < jar.length; i++) if (jar[i][0] === name) return jar[i][1];
    return undefined;
  }

  // --- storage ------------------------------------------------------------

  class Storage {
    #items = new Map();

    get length() { return this.#items.size; }
    key(index) {
      var names = [];
      for (var name of this.#items.keys()) push(names, name);
      return index >= 0 && index < names.length ? names[index] : null;
    }
    getItem(name) {
      name = toText(name);
      return this.#items.has(name) ? this.#items.get(name) : null;
    }
    setItem(name, value) { this.#items.set(toText(name), toText(value)); }
    removeItem(name) { this.#items.delete(toText(name)); }
    clear() { this.#items.clear(); }
  }

  // --- the document -------------------------------------------------------

  var views = new Map();
  var secret = {};

  function view(number) {
    if (number === null || number === undefined) return null;
    if (number === 0) return document;
    var known = views.get(number);
    if (known !== undefined) return known;
    var made = host.domRead(number, 'nodeType') === 1 ? new Element(secret, number) : new Node(secret, number);
    views.set(number, made);
    return made;
  }

  function viewsOf(numbers) {
    var list = [];
    for (var i = 0; i < numbers.length; i++) push(list, view(numbers[i]));
    return list;
  }

  function invalidSelector(method, owner, selector) {
    throw new SyntaxErrorCtor("Failed to execute '" + method + "' on '" + owner + "': '" + toText(selector) + "' is not a valid selector.");
  }

  // A static list of nodes: `NodeList` (querySelectorAll, childNodes) or
  // `HTMLCollection` (children, getElementsBy…), indexed, with `length`.
  class NodeList {
    constructor(token, items) {
      if (token !== secret) throw new TypeErrorCtor('Illegal constructor');
      for (var i = 0; i < items.length; i++) defineProperty(this, i, { value: items[i], enumerable: true });
      defineProperty(this, 'length', { value: items.length });
    }
    item(index) { return index >= 0 && index < this.length ? this[index] : null; }
    forEach(callback, thisArg) {
      for (var i = 0; i < this.length; i++) call.call(callback, thisArg, this[i], i, this);
    }
    entries() { var l = []; for (var i = 0; i < this.length; i++) push(l, [i, this[i]]); return iteratorOf(l); }
    keys() { var l = []; for (var i = 0; i < this.length; i++) push(l, i); return iteratorOf(l); }
    values() { var l = []; for (var i = 0; i < this.length; i++) push(l, this[i]); return iteratorOf(l); }
    [Symbol.iterator]() { return this.values(); }
  }

  class HTMLCollection {
    constructor(token, items) {
      if (token !== secret) throw new TypeErrorCtor('Illegal constructor');
      for (var i = 0; i < items.length; i++) defineProperty(this, i, { value: items[i], enumerable: true });
      defineProperty(this, 'length', { value: items.length });
    }
    item(index) { return index >= 0 && index < this.length ? this[index] : null; }
    namedItem(name) {
      for (var i = 0; i < this.length; i++) {
        if (this[i].id === name || this[i].getAttribute('name') === name) return this[i];
      }
      return null;
    }
    [Symbol.iterator]() { var l = []; for (var i = 0; i < this.length; i++) push(l, this[i]); return iteratorOf(l); }
  }

  function nodeList(numbers) { return new NodeList(secret, viewsOf(numbers)); }
  function collection(numbers) { return new HTMLCollection(secret, viewsOf(numbers)); }

  // What queries on a node or the document share; `number` is -1 for the
  // document, `owner` names it in errors.
  function queries(number, owner) {
    return {
      querySelector: function (selector) {
        var found = host.domSelect(number, selector, true);
        if (found === false) invalidSelector('querySelector', owner, selector);
        return view(found);
      },
      querySelectorAll: function (selector) {
        var found = host.domSelect(number, selector, false);
        if (found === false) invalidSelector('querySelectorAll', owner, selector);
        return nodeList(found);
      },
      getElementsByClassName: function (names) { return collection(host.domFind(number, 'class', names)); },
      getElementsByTagName: function (name) { return collection(host.domFind(number, 'tag', name)); }
    };
  }

  // Elements whose `href` is a URL (`''` without the attribute).
  var LINKS = ['A', 'AREA', 'LINK', 'BASE'];

  // Elements whose `src` is a URL even when the attribute is missing.
  var SOURCED = ['IMG', 'SCRIPT', 'IFRAME', 'SOURCE', 'VIDEO', 'AUDIO', 'EMBED', 'TRACK', 'INPUT'];

  var NODE_NUMBER = new WeakMap();
  function numberOf(node) { return NODE_NUMBER.get(node); }

  class Node {
    constructor(token, number) {
      if (token !== secret) throw new TypeErrorCtor('Illegal constructor');
      NODE_NUMBER.set(this, number);
    }
    get nodeType() { return host.domRead(numberOf(this), 'nodeType'); }
    get nodeName() { return host.domRead(numberOf(this), 'nodeName'); }
    get nodeValue() { var v = host.domRead(numberOf(this), 'nodeValue'); return v === undefined ? null : v; }
    get data() { return host.domRead(numberOf(this), 'data'); }
    get textContent() { return host.domRead(numberOf(this), 'textContent'); }
    set textContent(value) { refuse('textContent = …', READ_ONLY); }
    get parentNode() { return view(host.domNode(numberOf(this), 'parentNode')); }
    get parentElement() { return view(host.domNode(numberOf(this), 'parentElement')); }
    get nextSibling() { return view(host.domNode(numberOf(this), 'nextSibling')); }
    get previousSibling() { return view(host.domNode(numberOf(this), 'previousSibling')); }
    get ownerDocument() { return document; }
    get childNodes() { return nodeList(host.domChildren(numberOf(this), false)); }
    hasChildNodes() { return host.domChildren(numberOf(this), false).length > 0; }
  }

  class Element extends Node {
    get tagName() { return host.domRead(numberOf(this), 'tagName'); }
    get localName() { return toLower(this.tagName); }
    get id() { return this.getAttribute('id') || ''; }
    get className() { return this.getAttribute('class') || ''; }
    get classList() {
      var tokens = [];
      var parts = split(trim(replace(this.className, /[\t\n\f\r ]+/g, ' ')), ' ');
      for (var i = 0; i < parts.length; i++) if (parts[i] !== '' && tokens.indexOf(parts[i]) < 0) push(tokens, parts[i]);
      var list = create(DOMTokenList.prototype);
      for (var t = 0; t < tokens.length; t++) defineProperty(list, t, { value: tokens[t], enumerable: true });
      defineProperty(list, 'length', { value: tokens.length });
      defineProperty(list, 'value', { value: this.className });
      return list;
    }
    get dataset() {
      var data = {};
      var attributes = host.domAttributes(numberOf(this));
      for (var i = 0; i < attributes.length; i++) {
        var name = attributes[i][0];
        if (slice(name, 0, 5) !== 'data-') continue;
        data[replace(slice(name, 5), /-([a-z])/g, function (m, c) { return toUpper(c); })] = attributes[i][1];
      }
      return data;
    }
    get attributes() {
      var pairs = host.domAttributes(numberOf(this));
      var list = [];
      for (var i = 0; i < pairs.length; i++) push(list, freeze({ name: pairs[i][0], value: pairs[i][1] }));
      return new NamedNodeMap(secret, list);
    }
    getAttribute(name) {
      name = toLower(toText(name));
      var pairs = host.domAttributes(numberOf(this));
      for (var i = 0; i < pairs.length; i++) if (pairs[i][0] === name) return pairs[i][1];
      return null;
    }
    hasAttribute(name) { return this.getAttribute(name) !== null; }
    hasAttributes() { return host.domAttributes(numberOf(this)).length > 0; }
    getAttributeNames() {
      var pairs = host.domAttributes(numberOf(this));
      var names = [];
      for (var i = 0; i < pairs.length; i++) push(names, pairs[i][0]);
      return names;
    }
    get innerText() { return host.domRead(numberOf(this), 'innerText'); }
    set innerText(value) { refuse('innerText = …', READ_ONLY); }
    get innerHTML() { return host.domRead(numberOf(this), 'innerHTML'); }
    set innerHTML(value) { refuse('innerHTML = …', READ_ONLY); }
    get outerHTML() { return host.domRead(numberOf(this), 'outerHTML'); }
    get value() { return host.domRead(numberOf(this), 'value'); }
    set value(value) { refuse('value = …', READ_ONLY); }
    get checked() { return host.domRead(numberOf(this), 'checked'); }
    get href() { return LINKS.indexOf(this.tagName) >= 0 ? host.domRead(numberOf(this), 'href') : undefined; }
    get src() {
      return this.hasAttribute('src') || SOURCED.indexOf(this.tagName) >= 0 ? host.domRead(numberOf(this), 'src') : undefined;
    }
    get children() { return collection(host.domChildren(numberOf(this), true)); }
    get childElementCount() { return host.domChildren(numberOf(this), true).length; }
    get firstElementChild() { return view(host.domNode(numberOf(this), 'firstElementChild')); }
    get lastElementChild() { return view(host.domNode(numberOf(this), 'lastElementChild')); }
    get nextElementSibling() { return view(host.domNode(numberOf(this), 'nextElementSibling')); }
    get previousElementSibling() { return view(host.domNode(numberOf(this), 'previousElementSibling')); }
    closest(selector) {
      var found = host.domMatches(numberOf(this), selector, true);
      if (found === undefined) invalidSelector('closest', 'Element', selector);
      return view(found);
    }
    matches(selector) {
      var found = host.domMatches(numberOf(this), selector, false);
      if (found === undefined) invalidSelector('matches', 'Element', selector);
      return found;
    }
    querySelector(selector) { return queries(numberOf(this), 'Element').querySelector(selector); }
    querySelectorAll(selector) { return queries(numberOf(this), 'Element').querySelectorAll(selector); }
    getElementsByClassName(names) { return queries(numberOf(this), 'Element').getElementsByClassName(names); }
    getElementsByTagName(name) { return queries(numberOf(this), 'Element').getElementsByTagName(name); }
    toString() { return '[object HTML' + (this.tagName === 'A' ? 'Anchor' : '') + 'Element]'; }
  }

  // Attributes read as properties where the attribute is all there is:
  // every element has `title`, `lang` and `dir` (`''` without the
  // attribute); the others are read where the element has the attribute
  // (`input.type` is `'text'` without one), else they are `undefined`.
  var REFLECTED = ['alt', 'title', 'lang', 'name', 'type', 'rel', 'content', 'placeholder', 'target', 'dir', 'method'];
  var EVERY_ELEMENT = ['title', 'lang', 'dir'];
  for (var r = 0; r < REFLECTED.length; r++) {
    (function (name) {
      getter(Element.prototype, name, function () {
        var value = this.getAttribute(name);
        if (value !== null) return value;
        if (EVERY_ELEMENT.indexOf(name) >= 0) return '';
        if (name === 'type' && this.tagName === 'INPUT') return 'text';
        return undefined;
      });
    })(REFLECTED[r]);
  }
  // A form's `action` is its URL, the page's without the attribute.
  getter(Element.prototype, 'action', function () {
    if (this.tagName !== 'FORM') return undefined;
    return this.hasAttribute('action') ? host.domRead(numberOf(this), 'action') : pageHref();
  });

  // Every way of changing the page's document throws, naming the method.
  var CHANGES = ['setAttribute', 'removeAttribute', 'toggleAttribute', 'appendChild', 'removeChild',
    'replaceChild', 'insertBefore', 'append', 'prepend', 'remove', 'before', 'after', 'replaceWith',
    'insertAdjacentHTML', 'insertAdjacentElement', 'insertAdjacentText', 'cloneNode', 'normalize',
    'addEventListener', 'removeEventListener', 'dispatchEvent', 'click', 'focus', 'blur', 'submit',
    'reset', 'scrollIntoView'];
  for (var c = 0; c < CHANGES.length; c++) hidden(Node.prototype, CHANGES[c], unavailable(CHANGES[c], READ_ONLY));
  getter(Element.prototype, 'outerHTML', Object.getOwnPropertyDescriptor(Element.prototype, 'outerHTML').get, function () {
    refuse('outerHTML = …', READ_ONLY);
  });

  class DOMTokenList {
    constructor() { throw new TypeErrorCtor('Illegal constructor'); }
    contains(token) {
      for (var i = 0; i < this.length; i++) if (this[i] === toText(token)) return true;
      return false;
    }
    item(index) { return index >= 0 && index < this.length ? this[index] : null; }
    forEach(callback, thisArg) { for (var i = 0; i < this.length; i++) call.call(callback, thisArg, this[i], i, this); }
    [Symbol.iterator]() { var l = []; for (var i = 0; i < this.length; i++) push(l, this[i]); return iteratorOf(l); }
    toString() { return this.value; }
  }
  var TOKEN_CHANGES = ['add', 'remove', 'toggle', 'replace'];
  for (var tc = 0; tc < TOKEN_CHANGES.length; tc++) {
    hidden(DOMTokenList.prototype, TOKEN_CHANGES[tc], unavailable('classList.' + TOKEN_CHANGES[tc], READ_ONLY));
  }

  class NamedNodeMap {
    constructor(token, items) {
      if (token !== secret) throw new TypeErrorCtor('Illegal constructor');
      for (var i = 0; i < items.length; i++) defineProperty(this, i, { value: items[i], enumerable: true });
      defineProperty(this, 'length', { value: items.length });
    }
    item(index) { return index >= 0 && index < this.length ? this[index] : null; }
    getNamedItem(name) {
      for (var i = 0; i < this.length; i++) if (this[i].name === toLower(toText(name))) return this[i];
      return null;
    }
    [Symbol.iterator]() { var l = []; for (var i = 0; i < this.length; i++) push(l, this[i]); return iteratorOf(l); }
  }

  function HTMLDocument() {
    throw new TypeErrorCtor('Illegal constructor');
  }
  var document = create(HTMLDocument.prototype);
  var documentQueries = queries(-1, 'Document');
  var DOCUMENT_READS = {
    URL: pageHref,
    documentURI: pageHref,
    referrer: function () { return host.page('referrer'); },
    title: function () { return host.page('title'); },
    domain: function () { return host.urlPart(pageHref(), 'hostname'); },
    location: function () { return location; },
    readyState: function () { return 'complete'; },
    characterSet: function () { return 'UTF-8'; },
    contentType: function () { return 'text/html'; },
    compatMode: function () { return 'CSS1Compat'; },
    nodeType: function () { return 9; },
    nodeName: function () { return '#document'; },
    defaultView: function () { return global; },
    documentElement: function () { return view(host.domNode(-1, 'documentElement')); },
    head: function () { return view(host.domNode(-1, 'head')); },
    body: function () { return view(host.domNode(-1, 'body')); },
    children: function () { return collection(host.domChildren(-1, true)); },
    childNodes: function () { return nodeList(host.domChildren(-1, false)); }
  };
  var readNames = keys(DOCUMENT_READS);
  for (var d = 0; d < readNames.length; d++) {
    (function (name) {
      getter(document, name, DOCUMENT_READS[name], name === 'location' ? function () {
        refuse('document.location = …', NAVIGATION);
      } : undefined);
    })(readNames[d]);
  }
  getter(document, 'cookie', cookieText, writeCookie);
  hidden(document, 'querySelector', documentQueries.querySelector);
  hidden(document, 'querySelectorAll', documentQueries.querySelectorAll);
  hidden(document, 'getElementsByClassName', documentQueries.getElementsByClassName);
  hidden(document, 'getElementsByTagName', documentQueries.getElementsByTagName);
  hidden(document, 'getElementById', function (id) { return view(host.domFind(-1, 'id', id)); });
  var DOCUMENT_CHANGES = ['createElement', 'createElementNS', 'createTextNode', 'createDocumentFragment',
    'write', 'writeln', 'open', 'close', 'addEventListener', 'removeEventListener', 'dispatchEvent'];
  for (var dc = 0; dc < DOCUMENT_CHANGES.length; dc++) {
    hidden(document, DOCUMENT_CHANGES[dc], unavailable('document.' + DOCUMENT_CHANGES[dc], READ_ONLY));
  }

  // `this.domQuery(selector)`: the matching elements as an Array, with the
  // reference helper's shortcuts (`#id` gives `[element]`, or `[null]`).
  function domQuery(selector, context) {
    var scope = context === undefined || context === null ? document : context;
    selector = toText(selector);
    if (/^(#?[\w-]+|\.[\w-.]+)$/.test(selector)) {
      if (slice(selector, 0, 1) === '#') return [document.getElementById(slice(selector, 1))];
      if (slice(selector, 0, 1) === '.') {
        return Array.from(scope.getElementsByClassName(replace(slice(selector, 1), /\./g, ' ')));
      }
      return Array.from(scope.getElementsByTagName(selector));
    }
    return Array.from(scope.querySelectorAll(selector));
  }

  // --- navigator, window ----------------------------------------------------

  var navigator = create(null);
  getter(navigator, 'userAgent', function () { return host.page('userAgent'); });
  getter(navigator, 'language', function () { return host.page('language'); });
  getter(navigator, 'languages', function () { return freeze([host.page('language')]); });
  getter(navigator, 'cookieEnabled', function () { return true; });
  getter(navigator, 'onLine', function () { return true; });
  hidden(navigator, 'sendBeacon', unavailable('navigator.sendBeacon', NETWORK));

  // `window.digitalData`: the page's digitalData, converted again only
  // when the pipeline changed it; what a handler assigns stays for the page.
  var digitalData;
  var digitalDataVersion = -1;
  var digitalDataSet = false;
  getter(global, 'digitalData', function () {
    if (digitalDataSet) return digitalData;
    var version = host.digitalDataVersion();
    if (version !== digitalDataVersion) {
      digitalData = host.digitalData();
      digitalDataVersion = version;
    }
    return digitalData;
  }, function (value) {
    digitalData = value;
    digitalDataSet = true;
  });
  var dataLayerSet = false;
  var dataLayer;
  getter(global, 'dataLayer', function () {
    return dataLayerSet ? dataLayer : part('dataLayer');
  }, function (value) {
    dataLayer = value;
    dataLayerSet = true;
  });

  // `btoa` and `atob`: base64 of Latin-1 text, as WHATWG's "forgiving
  // base64" reads it (ASCII white space skipped, `=` padding optional).
  var BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  function invalidCharacter(what, why) {
    var error = new ErrorCtor("Failed to execute '" + what + "' on 'Window': " + why);
    error.name = 'InvalidCharacterError';
    return error;
  }
  function oneArgument(what, count) {
    if (count === 0) {
      throw new TypeErrorCtor("Failed to execute '" + what + "' on 'Window': 1 argument required, but only 0 present.");
    }
  }
  function btoa(data) {
    oneArgument('btoa', arguments.length);
    var text = toText(data);
    var codes = [];
    for (var i = 0; i < text.length; i++) {
      var code = charCodeAt(text, i);
      if (code > 255) {
        throw invalidCharacter('btoa', 'The string to be encoded contains characters outside of the Latin1 range.');
      }
      push(codes, code);
    }
    var out = [];
    for (var j = 0; j < codes.length; j += 3) {
      var n = (codes[j] << 16) | ((j + 1 < codes.length ? codes[j + 1] : 0) << 8) | (j + 2 < codes.length ? codes[j + 2] : 0);
      push(out, BASE64[(n >> 18) & 63], BASE64[(n >> 12) & 63],
        j + 1 < codes.length ? BASE64[(n >> 6) & 63] : '=', j + 2 < codes.length ? BASE64[n & 63] : '=');
    }
    return join(out, '');
  }
  function atob(data) {
    oneArgument('atob', arguments.length);
    var text = toText(data);
    var digits = [];
    for (var i = 0; i < text.length; i++) {
      var code = charCodeAt(text, i);
      // ASCII white space: tab, line feed, form feed, carriage return, space.
      if (code === 9 || code === 10 || code === 12 || code === 13 || code === 32) continue;
      push(digits, code);
    }
    var length = digits.length;
    if (length % 4 === 0 && length > 0 && digits[length - 1] === 61) {
      length--;
      if (digits[length - 1] === 61) length--;
    }
    var bad = 'The string to be decoded is not correctly encoded.';
    if (length % 4 === 1) throw invalidCharacter('atob', bad);
    var out = [];
    var buffer = 0;
    var bits = 0;
    for (var k = 0; k < length; k++) {
      var c = digits[k];
      var value = c >= 65 && c <= 90 ? c - 65 : c >= 97 && c <= 122 ? c - 71 : c >= 48 && c <= 57 ? c + 4 : c === 43 ? 62 : c === 47 ? 63 : -1;
      if (value < 0) throw invalidCharacter('atob', bad);
      buffer = ((buffer << 6) | value) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        push(out, fromCharCode((buffer >> bits) & 255));
      }
    }
    return join(out, '');
  }

  var WINDOW = {
    window: global, self: global, top: global, parent: global, frames: global,
    document: document, navigator: navigator,
    localStorage: new Storage(), sessionStorage: new Storage(),
    URL: URL, URLSearchParams: URLSearchParams, btoa: btoa, atob: atob
  };
  var names = keys(WINDOW);
  for (var w = 0; w < names.length; w++) hidden(global, names[w], WINDOW[names[w]]);
  getter(global, 'location', function () { return location; }, function () {
    refuse('location = …', NAVIGATION);
  });
  var REFUSED = {
    fetch: NETWORK, XMLHttpRequest: NETWORK, WebSocket: NETWORK, EventSource: NETWORK, Image: NETWORK,
    open: NAVIGATION, setTimeout: TIMERS, setInterval: TIMERS, setImmediate: TIMERS,
    requestAnimationFrame: TIMERS, requestIdleCallback: TIMERS, addEventListener: TIMERS
  };
  var refused = keys(REFUSED);
  for (var f = 0; f < refused.length; f++) hidden(global, refused[f], unavailable(refused[f], REFUSED[refused[f]]));

  // Called when a page opens with window globals: each becomes a property
  // of `window`, converted when first read. Names the browser itself
  // defines (`document`, `JSON`, …) keep the browser's meaning. The
  // property stays an accessor (Boa's property caches do not follow an
  // accessor redefined as a data property).
  function openPage() {
    var names = host.globals();
    if (!isArray(names)) return;
    for (var i = 0; i < names.length; i++) {
      (function (name) {
        if (name in global) return;
        var read = false;
        var value;
        getter(global, name, function () {
          if (!read) {
            value = host.globals(name);
            read = true;
          }
          return value;
        }, function (newValue) {
          value = newValue;
          read = true;
        });
      })(names[i]);
    }
  }

  return freeze({
    part: part,
    cookie: cookieValue,
    domQuery: domQuery,
    openPage: openPage,
    // What handlers wrote to `document.cookie` since the last call.
    takeCookieWrites: function () {
      var taken = written;
      written = [];
      return taken;
    },
    refuse: refuse,
    isUnsupported: function (error) {
      return typeof error === 'object' && error !== null && isUnsupported(error);
    },
    hasOwn: hasOwn
  });
})

// Writes the CLDR patterns the guest formats with where Boa's `Intl` (on
// ICU4X's data) lacks them or differs from Chrome: for each CLDR locale of
// modern coverage, its standard currency and percent patterns, its
// percent, plus and minus signs, how it writes NaN, its currency symbols,
// its numeric date pattern (`yMd`: Chrome's `11/29/2026` where ICU4X
// writes `11/29/26`) and how it joins a numeric date and a time; plus the
// fraction digits of each currency.
//
// A locale is written only where it differs from its parent (`de-AT` from
// `de`, `de` from `und`; a script's parent is `und`: `zh-Hant` from `und`,
// not `zh`), and the guest looks a locale up the same way, so the file
// stays small. build.rs makes it static data in the guest.
//
//   npm ci && npm run generate
import { readFileSync, writeFileSync, existsSync } from 'node:fs';

const out = process.argv[2];
if (!out) {
  console.error('usage: node generate.mjs OUT.json');
  process.exit(2);
}
const modules = new URL('./node_modules/', import.meta.url);
const json = (path) => JSON.parse(readFileSync(new URL(path, modules), 'utf8'));

const coverage = json('cldr-core/coverageLevels.json').effectiveCoverageLevels;
const locales = Object.keys(coverage).filter((l) => coverage[l] === 'modern').sort();

function entry(locale) {
  const base = `cldr-numbers-full/main/${locale}/`;
  if (!existsSync(new URL(base + 'numbers.json', modules))) return null;
  const numbers = json(base + 'numbers.json').main[locale].numbers;
  const currencies = json(base + 'currencies.json').main[locale].numbers.currencies;
  const symbols = numbers['symbols-numberSystem-latn'];
  const currency = numbers['currencyFormats-numberSystem-latn'];
  const percent = numbers['percentFormats-numberSystem-latn'];
  const dates = json(`cldr-dates-full/main/${locale}/ca-gregorian.json`).main[locale].dates;
  const formats = dates.calendars.gregorian.dateTimeFormats;
  const symbol = {};
  const narrow = {};
  for (const [code, names] of Object.entries(currencies)) {
    if (names.symbol && names.symbol !== code) symbol[code] = names.symbol;
    if (names['symbol-alt-narrow']) narrow[code] = names['symbol-alt-narrow'];
  }
  return {
    currency: currency.standard,
    currencyAlpha: currency['standard-alphaNextToNumber'] || currency.standard,
    percent: percent.standard,
    minus: symbols.minusSign,
    plus: symbols.plusSign,
    nan: symbols.nan,
    percentSign: symbols.percentSign,
    date: formats.availableFormats.yMd,
    dateTime: formats.short,
    symbol,
    narrow,
  };
}

// A currency's symbol in a locale's entry: its narrow symbol falls back
// to its symbol, which falls back to its code.
const shown = (entry, key, code) =>
  (key === 'narrow' ? entry.narrow[code] : undefined) ?? entry.symbol[code] ?? code;

// What `child` changes from `parent`: the fields that differ, and only the
// symbols that differ. The guest finds a symbol by walking up from the
// locale to `und` and takes the first one written, so a locale writes each
// symbol that differs from its parent's, even where it equals its own code.
function difference(child, parent) {
  const changed = {};
  for (const key of ['currency', 'currencyAlpha', 'percent', 'minus', 'plus', 'nan', 'percentSign', 'date', 'dateTime']) {
    if (child[key] !== parent[key]) changed[key] = child[key];
  }
  for (const key of ['symbol', 'narrow']) {
    const map = {};
    const codes = new Set([...Object.keys(child[key]), ...Object.keys(parent[key])]);
    for (const code of [...codes].sort()) {
      const mine = shown(child, key, code);
      const theirs = shown(parent, key, code);
      if (mine !== theirs) map[code] = mine;
    }
    if (Object.keys(map).length) changed[key] = map;
  }
  return changed;
}

// The parent the guest walks to: the locale without its last subtag,
// except that a locale naming a script (`zh-Hant`, `sr-Latn`) has the root
// as its parent, as in CLDR's parentLocales: `zh-Hant` is not `zh` (whose
// script is Hans).
const parentOf = (locale) => {
  const cut = locale.lastIndexOf('-');
  if (cut < 0 || /^[A-Z][a-z]{3}$/.test(locale.slice(cut + 1))) return 'und';
  return locale.slice(0, cut);
};

const resolved = new Map([['und', entry('und')]]);
const resolve = (locale) => {
  if (!resolved.has(locale)) resolved.set(locale, entry(locale) ?? resolve(parentOf(locale)));
  return resolved.get(locale);
};

const table = { und: difference(resolved.get('und'), { symbol: {}, narrow: {} }) };
for (const locale of locales) {
  const own = resolve(locale);
  const changed = difference(own, resolve(parentOf(locale)));
  if (Object.keys(changed).length) table[locale] = changed;
}

const fractions = {};
const data = json('cldr-core/supplemental/currencyData.json').supplemental.currencyData.fractions;
for (const [code, info] of Object.entries(data)) {
  if (code !== 'DEFAULT' && info._digits !== data.DEFAULT._digits) fractions[code] = Number(info._digits);
}

const cldr = json('cldr-core/package.json').version;
writeFileSync(out, JSON.stringify({ cldr, fractions, locales: table }) + '\n');
console.log(`${out}: CLDR ${cldr}, ${Object.keys(table).length} locales written of ${locales.length}`);

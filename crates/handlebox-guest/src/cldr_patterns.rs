//! What Boa's `Intl` (on ICU4X's data) lacks or writes unlike Chrome,
//! from CLDR: currency and percent formatting (Boa rounds and groups the
//! digits, `intl.js` asks it for them, and this module puts them into the
//! locale's pattern with its currency symbol, percent sign and minus sign:
//! `2 770,00 ₽` in `ru`, `€1,234.50` in `en`, `26 %` in `de`), and numeric
//! dates as Chrome writes them (`11/29/2026` and `1.11.2026`, where ICU4X
//! writes `11/29/26` and `01.11.26`).
//!
//! The patterns come from `cldr_patterns.json`, written from CLDR by
//! `cldr/generate.mjs` and made static data by `build.rs`: each locale
//! holds what differs from its parent
//! (`de-AT` from `de`, `de` from `und`), so a lookup walks up from the
//! locale and takes the first value it finds.

use boa_engine::{Context, JsNativeError, JsResult, JsString, JsValue};

use crate::json::text;

/// The no-break space CLDR puts between an alphabetic currency symbol and
/// the digits next to it (`currencySpacing`'s `insertBetween`).
const SPACING: char = '\u{a0}';

/// What one locale changes from its parent.
#[derive(Debug, Clone, Copy)]
struct Entry {
    currency: Option<&'static str>,
    currency_alpha: Option<&'static str>,
    percent: Option<&'static str>,
    minus: Option<&'static str>,
    plus: Option<&'static str>,
    /// How the locale writes NaN (`не число`).
    nan: Option<&'static str>,
    percent_sign: Option<&'static str>,
    /// The numeric date pattern (CLDR's `yMd`).
    date: Option<&'static str>,
    /// How a numeric date and a time are joined (`{1}, {0}`).
    date_time: Option<&'static str>,
    /// Currency symbols, by code, sorted.
    symbol: &'static [(&'static str, &'static str)],
    /// Narrow currency symbols, by code, sorted.
    narrow: &'static [(&'static str, &'static str)],
}

// `FRACTIONS` and `LOCALES`, written by build.rs from cldr_patterns.json.
include!(concat!(env!("OUT_DIR"), "/cldr_patterns.rs"));

/// The value for `key` in a sorted table.
fn lookup<T: Copy>(table: &'static [(&'static str, T)], key: &str) -> Option<T> {
    table
        .binary_search_by(|(name, _)| (*name).cmp(key))
        .ok()
        .map(|at| table[at].1)
}

/// How a number is styled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style<'a> {
    /// A percentage: the digits are already multiplied by 100.
    Percent,
    /// An amount of `code`, shown as `display` is.
    Currency { code: &'a str, display: Display },
}

/// How a currency is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Display {
    /// Its symbol (`€`, `US$`), the default.
    Symbol,
    /// Its narrow symbol (`$`).
    NarrowSymbol,
    /// Its ISO code (`EUR`).
    Code,
}

/// The names to look a locale up by, most specific first, ending with
/// `und`. `intl.js` gives them as CLDR inherits (`zh-Hant-TW,zh-Hant`, or
/// `zh-Hans-SG,zh-Hans,zh-SG,zh`); a single name (`de-AT`) walks up by
/// dropping its last subtag, except that a script's parent is `und`, as
/// in CLDR (`zh-Hant` is not `zh`, which is written in Hans). Unicode
/// extensions (`-u-…`) are dropped.
fn chain(locale: &str) -> impl Iterator<Item = &str> {
    let names: Vec<&str> = if locale.contains(',') {
        locale.split(',').filter(|name| !name.is_empty()).collect()
    } else {
        let base = locale.split("-u-").next().unwrap_or(locale);
        let base = base.split("-x-").next().unwrap_or(base);
        let mut names = vec![base];
        let mut current = base;
        while let Some(cut) = current.rfind('-') {
            if is_script(&current[cut + 1..]) {
                break;
            }
            current = &current[..cut];
            names.push(current);
        }
        names
    };
    let root = (names.last() != Some(&"und")).then_some("und");
    names.into_iter().chain(root)
}

/// Whether a subtag is a script (`Hant`, `Latn`).
fn is_script(subtag: &str) -> bool {
    subtag.len() == 4 && subtag.starts_with(|c: char| c.is_ascii_uppercase())
}

/// The first value `pick` finds walking up from `locale`.
fn find(
    locale: &str,
    pick: impl Fn(&'static Entry) -> Option<&'static str>,
) -> Option<&'static str> {
    chain(locale).find_map(|name| {
        LOCALES
            .binary_search_by(|(key, _)| (*key).cmp(name))
            .ok()
            .and_then(|at| pick(&LOCALES[at].1))
    })
}

/// Fraction digits of a currency (ISO 4217, as CLDR gives them).
pub(crate) fn currency_digits(code: &str) -> u8 {
    lookup(FRACTIONS, code).unwrap_or(2)
}

/// `digits` (the absolute value, already rounded, grouped and written in
/// the locale's digits) in the locale's pattern for `style`.
pub(crate) fn styled(locale: &str, style: Style<'_>, digits: &str, sign: Sign) -> String {
    let (pattern, symbol) = match style {
        Style::Percent => (
            find(locale, |e| e.percent).unwrap_or("#,##0%"),
            find(locale, |e| e.percent_sign).unwrap_or("%").to_owned(),
        ),
        Style::Currency { code, display } => {
            let symbol = match display {
                Display::Code => code,
                Display::Symbol => find(locale, |e| lookup(e.symbol, code)).unwrap_or(code),
                Display::NarrowSymbol => find(locale, |e| lookup(e.narrow, code)).unwrap_or(code),
            };
            let standard = find(locale, |e| e.currency).unwrap_or("¤ #,##0.00");
            // CLDR's pattern for a symbol whose letter would touch the
            // digits (`RUB 5.00`, not `RUB5.00`).
            let pattern = match find(locale, |e| e.currency_alpha) {
                Some(alpha) if touches_letter(standard, symbol) => alpha,
                _ => standard,
            };
            (pattern, symbol.to_owned())
        }
    };
    let mut parts = pattern.splitn(2, ';');
    let positive = parts.next().unwrap_or(pattern);
    // CLDR writes only the negative pattern; a plus sign takes the minus
    // sign's place in it.
    let chosen = match (sign, parts.next()) {
        (Sign::None, _) => positive.to_owned(),
        (_, Some(explicit)) => explicit.to_owned(),
        (_, None) => format!("-{positive}"),
    };
    let shown = match sign {
        Sign::Plus => find(locale, |e| e.plus).unwrap_or("+"),
        _ => find(locale, |e| e.minus).unwrap_or("-"),
    };
    fill(&chosen, digits, &symbol, shown)
}

/// Which sign a number is shown with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sign {
    /// No sign.
    None,
    /// The locale's minus sign.
    Minus,
    /// The locale's plus sign (`signDisplay: 'always'`).
    Plus,
}

/// NaN or an infinity as the locale writes it (`не число`, `−∞`).
pub(crate) fn non_finite(locale: &str, nan: bool, negative: bool) -> String {
    if nan {
        return find(locale, |e| e.nan).unwrap_or("NaN").to_owned();
    }
    let minus = find(locale, |e| e.minus).unwrap_or("-");
    if negative {
        format!("{minus}∞")
    } else {
        "∞".to_owned()
    }
}

/// `host.nonFinite(locale, isNaN, negative)`: see [`non_finite`].
pub(crate) fn non_finite_of(
    _this: &JsValue,
    args: &[JsValue],
    _context: &mut Context,
) -> JsResult<JsValue> {
    let locale = string_arg(args, 0);
    let flag = |i: usize| args.get(i).is_some_and(JsValue::to_boolean);
    Ok(JsString::from(non_finite(&locale, flag(1), flag(2)).as_str()).into())
}

/// Whether `c` belongs to a pattern's number (`#,##0.00`).
fn is_number(c: char) -> bool {
    matches!(c, '#' | '0' | ',' | '.')
}

/// Whether `symbol`, put into `pattern`, would have a letter or digit next
/// to the number.
fn touches_letter(pattern: &str, symbol: &str) -> bool {
    let positive = pattern.split(';').next().unwrap_or(pattern);
    let Some(at) = positive.find('¤') else {
        return false;
    };
    let before_number = positive[at + '¤'.len_utf8()..]
        .chars()
        .next()
        .is_some_and(is_number);
    let after_number = positive[..at].chars().next_back().is_some_and(is_number);
    let letter = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    (before_number && letter(symbol.chars().next_back()))
        || (after_number && letter(symbol.chars().next()))
}

/// The pattern with its number replaced by `digits`, `¤` by the symbol (or
/// `%` by the percent sign) and `-` by the locale's minus sign; an
/// alphabetic symbol touching the digits gets CLDR's spacing.
fn fill(pattern: &str, digits: &str, symbol: &str, minus: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + digits.len() + symbol.len());
    let mut chars = pattern.chars().peekable();
    let mut last_was_symbol = false;
    while let Some(c) = chars.next() {
        match c {
            c if is_number(c) => {
                while chars.peek().copied().is_some_and(is_number) {
                    chars.next();
                }
                if last_was_symbol
                    && symbol
                        .chars()
                        .next_back()
                        .is_some_and(char::is_alphanumeric)
                {
                    out.push(SPACING);
                }
                out.push_str(digits);
                if chars.peek() == Some(&'¤')
                    && symbol.chars().next().is_some_and(char::is_alphanumeric)
                {
                    out.push(SPACING);
                }
                last_was_symbol = false;
                continue;
            }
            '¤' | '%' => out.push_str(symbol),
            '-' => out.push_str(minus),
            '\'' => {}
            c => out.push(c),
        }
        last_was_symbol = matches!(c, '¤');
    }
    out
}

/// The string argument at `index` of a native call from `intl.js`, or
/// `""`.
fn string_arg(args: &[JsValue], index: usize) -> String {
    args.get(index)
        .and_then(JsValue::as_string)
        .map(|s| text(&s))
        .unwrap_or_default()
}

/// `host.numberStyle(locale, style, currency, display, digits, sign)`
/// (`sign` is `"-"`, `"+"` or `""`):
/// the digits in the locale's pattern (see [`styled`]).
pub(crate) fn number_style(
    _this: &JsValue,
    args: &[JsValue],
    _context: &mut Context,
) -> JsResult<JsValue> {
    let arg = |i: usize| string_arg(args, i);
    let (locale, style, code, display, digits) = (arg(0), arg(1), arg(2), arg(3), arg(4));
    let sign = match arg(5).as_str() {
        "-" => Sign::Minus,
        "+" => Sign::Plus,
        _ => Sign::None,
    };
    let style = match (style.as_str(), display.as_str()) {
        ("percent", _) => Style::Percent,
        ("currency", display) => Style::Currency {
            code: &code,
            display: match display {
                "narrowSymbol" => Display::NarrowSymbol,
                "code" => Display::Code,
                _ => Display::Symbol,
            },
        },
        (other, _) => {
            return Err(JsNativeError::range()
                .with_message(format!("no pattern for the style {other}"))
                .into());
        }
    };
    Ok(JsString::from(styled(&locale, style, &digits, sign).as_str()).into())
}

/// `host.currencyDigits(code)`: the currency's fraction digits.
pub(crate) fn currency_digits_of(
    _this: &JsValue,
    args: &[JsValue],
    _context: &mut Context,
) -> JsResult<JsValue> {
    let code = string_arg(args, 0);
    Ok(JsValue::from(currency_digits(&code)))
}

/// A date in the locale's numeric pattern (`M/d/y`, `dd.MM.y`), in ASCII
/// digits.
pub(crate) fn numeric_date(locale: &str, year: i64, month: u32, day: u32) -> String {
    let pattern = find(locale, |e| e.date).unwrap_or("y-MM-dd");
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        let mut width = 1;
        while chars.peek() == Some(&c) && matches!(c, 'y' | 'M' | 'd') {
            chars.next();
            width += 1;
        }
        match c {
            'y' if width == 2 => out.push_str(&format!("{:02}", year.rem_euclid(100))),
            'y' => out.push_str(&year.to_string()),
            'M' => out.push_str(&format!("{month:0width$}")),
            'd' => out.push_str(&format!("{day:0width$}")),
            '\'' => {
                for quoted in chars.by_ref() {
                    if quoted == '\'' {
                        break;
                    }
                    out.push(quoted);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A date and a time joined as the locale joins them.
pub(crate) fn date_time(locale: &str, date: &str, time: &str) -> String {
    find(locale, |e| e.date_time)
        .unwrap_or("{1} {0}")
        .replace("{1}", date)
        .replace("{0}", time)
}

/// `host.numericDate(locale, year, month, day)`: see [`numeric_date`].
pub(crate) fn numeric_date_of(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let locale = string_arg(args, 0);
    let mut field =
        |i: usize| -> JsResult<f64> { args.get(i).map_or(Ok(f64::NAN), |v| v.to_number(context)) };
    let (year, month, day) = (field(1)?, field(2)?, field(3)?);
    if !(year.is_finite() && (1.0..=12.0).contains(&month) && (1.0..=31.0).contains(&day)) {
        return Err(JsNativeError::range()
            .with_message("Invalid time value")
            .into());
    }
    let date = numeric_date(&locale, year as i64, month as u32, day as u32);
    Ok(JsString::from(date.as_str()).into())
}

/// `host.dateTime(locale, date, time)`: see [`date_time`].
pub(crate) fn date_time_of(
    _this: &JsValue,
    args: &[JsValue],
    _context: &mut Context,
) -> JsResult<JsValue> {
    let arg = |i: usize| string_arg(args, i);
    Ok(JsString::from(date_time(&arg(0), &arg(1), &arg(2)).as_str()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn currency(code: &str, display: Display) -> Style<'_> {
        Style::Currency { code, display }
    }

    #[test]
    fn the_table_is_sorted_and_holds_the_root() {
        assert!(LOCALES.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert!(FRACTIONS.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert!(
            LOCALES
                .iter()
                .all(|(_, e)| e.symbol.windows(2).all(|p| p[0].0 < p[1].0))
        );
        assert!(lookup(LOCALES, "und").is_some());
        assert!(lookup(LOCALES, "ru").is_some());
        assert_eq!(currency_digits("JPY"), 0);
        assert_eq!(currency_digits("KWD"), 3);
        assert_eq!(currency_digits("RUB"), 2);
    }

    #[test]
    fn chains_end_at_und() {
        assert_eq!(
            chain("sr-Latn-RS-u-nu-latn").collect::<Vec<_>>(),
            ["sr-Latn-RS", "sr-Latn", "und"]
        );
        assert_eq!(chain("de-AT").collect::<Vec<_>>(), ["de-AT", "de", "und"]);
        assert_eq!(
            chain("zh-Hans-SG,zh-Hans,zh-SG,zh").collect::<Vec<_>>(),
            ["zh-Hans-SG", "zh-Hans", "zh-SG", "zh", "und"]
        );
        assert_eq!(chain("und").collect::<Vec<_>>(), ["und"]);
    }

    #[test]
    fn currencies_read_as_chrome_writes_them() {
        let sym = Display::Symbol;
        assert_eq!(
            styled("ru-RU", currency("RUB", sym), "2 770,00", Sign::None),
            "2 770,00\u{a0}₽"
        );
        assert_eq!(
            styled("de-DE", currency("EUR", sym), "1.234,50", Sign::None),
            "1.234,50\u{a0}€"
        );
        assert_eq!(
            styled("en-US", currency("EUR", sym), "1,234.50", Sign::None),
            "€1,234.50"
        );
        assert_eq!(
            styled("en-US", currency("USD", sym), "5.00", Sign::Minus),
            "-$5.00"
        );
        assert_eq!(
            styled("en-US", currency("RUB", sym), "5.00", Sign::None),
            "RUB\u{a0}5.00"
        );
        assert_eq!(
            styled("en-US", currency("USD", Display::Code), "5.00", Sign::None),
            "USD\u{a0}5.00"
        );
        assert_eq!(
            styled(
                "en-CA",
                currency("USD", Display::NarrowSymbol),
                "5.00",
                Sign::None
            ),
            "$5.00"
        );
        assert_eq!(
            styled("nl-NL", currency("EUR", sym), "5,00", Sign::Minus),
            "€\u{a0}-5,00"
        );
        assert_eq!(
            styled("sv-SE", currency("SEK", sym), "5,00", Sign::Minus),
            "\u{2212}5,00\u{a0}kr"
        );
    }

    #[test]
    fn numeric_dates_read_as_chrome_writes_them() {
        assert_eq!(numeric_date("en-US", 2026, 11, 29), "11/29/2026");
        assert_eq!(numeric_date("ru-RU", 2026, 11, 1), "01.11.2026");
        assert_eq!(numeric_date("de-DE", 2026, 11, 1), "1.11.2026");
        assert_eq!(numeric_date("en-GB", 2026, 1, 2), "02/01/2026");
        assert_eq!(numeric_date("xx", 2026, 1, 2), "2026-01-02");
        assert_eq!(
            date_time("en-US", "1/1/1970", "12:00:00 AM"),
            "1/1/1970, 12:00:00 AM"
        );
    }

    #[test]
    fn signs_and_non_finite_numbers_read_as_chrome_writes_them() {
        let usd = currency("USD", Display::Symbol);
        assert_eq!(styled("en-US", usd, "5.00", Sign::Plus), "+$5.00");
        assert_eq!(
            styled(
                "zh-Hant-TW",
                currency("TWD", Display::Symbol),
                "5.00",
                Sign::None
            ),
            "$5.00"
        );
        assert_eq!(non_finite("ru-RU", true, false), "не\u{a0}число");
        assert_eq!(non_finite("sv-SE", false, true), "\u{2212}∞");
        assert_eq!(non_finite("en", false, false), "∞");
    }

    #[test]
    fn percents_read_as_chrome_writes_them() {
        assert_eq!(
            styled("ru-RU", Style::Percent, "26", Sign::None),
            "26\u{a0}%"
        );
        assert_eq!(styled("en-US", Style::Percent, "26", Sign::None), "26%");
        assert_eq!(
            styled("de", Style::Percent, "26", Sign::Minus),
            "-26\u{a0}%"
        );
    }
}

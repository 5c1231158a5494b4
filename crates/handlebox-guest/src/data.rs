//! The page's data as the host sent it, kept as JSON text and converted to
//! JavaScript only when a helper reads it: a page whose handlers read
//! `website.redesign` converts `website`, not the whole `digitalData`.

use std::cell::RefCell;
use std::collections::HashMap;

use boa_engine::{Context, JsNativeError, JsResult, JsValue, js_string};
use handlebox_protocol::PageContextText;
use serde_json::Value;
use serde_json::value::RawValue;

/// One page's data, `digitalData` split at its top level once read, and
/// the top-level values read so far.
struct PageContext {
    text: PageContextText,
    top: Option<HashMap<String, Box<RawValue>>>,
    /// The window globals split at their top level, once read.
    globals: Option<serde_json::Map<String, Value>>,
    parsed: HashMap<String, Value>,
    whole: Option<Value>,
}

thread_local! {
    static DATA: RefCell<Option<PageContext>> = const { RefCell::new(None) };
    /// How many times the page's `digitalData` was replaced.
    static VERSION: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// `digitalDataVersion()`: a number that changes whenever the host sends a
/// new `digitalData`, so `window.digitalData` is converted again only then.
pub(crate) fn digital_data_version(
    _this: &JsValue,
    _args: &[JsValue],
    _context: &mut Context,
) -> JsResult<JsValue> {
    Ok(JsValue::from(VERSION.with(std::cell::Cell::get)))
}

/// Makes `text` the page the helpers read.
pub(crate) fn open(text: PageContextText) {
    DATA.with(|slot| {
        *slot.borrow_mut() = Some(PageContext {
            text,
            top: None,
            globals: None,
            parsed: HashMap::new(),
            whole: None,
        });
    });
}

/// Runs `f` on the page the host sent; `None` before any page.
pub(crate) fn with_page<R>(f: impl FnOnce(&PageContextText) -> R) -> Option<R> {
    DATA.with(|slot| slot.borrow().as_ref().map(|data| f(&data.text)))
}

/// Replaces the page's `digitalData`.
pub(crate) fn set_digital_data(value: Box<RawValue>) {
    VERSION.with(|version| version.set(version.get().wrapping_add(1)));
    DATA.with(|slot| {
        if let Some(data) = slot.borrow_mut().as_mut() {
            data.text.digital_data = value;
            data.top = None;
            data.parsed.clear();
            data.whole = None;
        }
    });
}

/// `digitalData(path)`: a fresh copy of the value at `path` in the page's
/// `digitalData`, as the admin panel's helper reads it: `path` is
/// `String(path)` trimmed, `a[0]` read as `a.0`, a leading `.` dropped, then
/// split at dots (no path: the whole `digitalData`); each step goes through
/// an own property whose value is not `undefined`, else the answer is
/// `undefined`. Only the value at the end is converted to JavaScript; steps
/// the JSON itself answers (object keys, array indices) are taken on the
/// JSON, others (a string's `length`) on the converted value.
pub(crate) fn digital_data(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let path = match args.first() {
        None => None,
        Some(value) if value.is_null_or_undefined() => None,
        Some(value) => Some(string_of(value, context)?),
    };
    let steps = path.as_deref().map(steps).unwrap_or_default();
    let found = DATA.with(|slot| -> JsResult<Option<(Value, usize)>> {
        let mut slot = slot.borrow_mut();
        let Some(data) = slot.as_mut() else {
            return Ok(None);
        };
        let text = &data.text.digital_data;
        let (start, mut taken) = match steps.first() {
            Some(first) if text.get().trim_start().starts_with('{') => {
                if data.top.is_none() {
                    data.top = Some(parse(text, "digitalData")?);
                }
                if !data.parsed.contains_key(first.as_str()) {
                    let Some(raw) = data.top.as_ref().and_then(|top| top.get(first.as_str()))
                    else {
                        return Ok(None);
                    };
                    let value = parse::<Value>(raw, "digitalData")?;
                    data.parsed.insert(first.clone(), value);
                }
                match data.parsed.get(first.as_str()) {
                    Some(value) => (value, 1),
                    None => return Ok(None),
                }
            }
            _ => {
                if data.whole.is_none() {
                    data.whole = Some(parse::<Value>(text, "digitalData")?);
                }
                match data.whole.as_ref() {
                    Some(value) => (value, 0),
                    None => return Ok(None),
                }
            }
        };
        let mut current = start;
        while let Some(step) = steps.get(taken) {
            let next = match current {
                Value::Object(map) => map.get(step.as_str()),
                Value::Array(items) => match canonical_index(step) {
                    Some(index) => items.get(index),
                    None if step == "length" => break,
                    None => None,
                },
                Value::Null => None,
                _ => break,
            };
            match next {
                Some(next) => current = next,
                None => return Ok(None),
            }
            taken += 1;
        }
        Ok(Some((current.clone(), taken)))
    })?;
    let Some((value, taken)) = found else {
        return Ok(JsValue::undefined());
    };
    let mut current = JsValue::from_json(&value, context)?;
    for step in &steps[taken..] {
        if current.is_null_or_undefined() {
            return Ok(JsValue::undefined());
        }
        let object = current.to_object(context)?;
        let key = js_string!(step.as_str());
        if !object.has_own_property(key.clone(), context)? {
            return Ok(JsValue::undefined());
        }
        current = object.get(key, context)?;
        if current.is_undefined() {
            return Ok(JsValue::undefined());
        }
    }
    Ok(current)
}

/// `queryParam(name)`'s raw value: in the page URL's query (before any
/// `#`), the first `name=value` that follows a `?` or `&`, with `+` read as
/// a space; `undefined` when there is none. (The helper percent-decodes
/// it, as `decodeURIComponent` does, in JavaScript.) This is what the
/// reference's regular expression `[?&]name=([^&#]*)` finds, without
/// compiling one per call.
pub(crate) fn query_param(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let name = match args.first() {
        None => "undefined".to_owned(),
        Some(value) => string_of(value, context)?,
    };
    let found = DATA.with(|slot| {
        let slot = slot.borrow();
        let url = slot.as_ref().map(|data| data.text.url.as_str())?;
        raw_query_param(url, &name)
    });
    Ok(match found {
        Some(raw) => js_string!(raw.replace('+', " ").as_str()).into(),
        None => JsValue::undefined(),
    })
}

/// `String(value)`, which (unlike `ToString`) also takes a symbol.
fn string_of(value: &JsValue, context: &mut Context) -> JsResult<String> {
    Ok(match value.as_symbol() {
        Some(symbol) => crate::json::text(&symbol.descriptive_string()),
        None => crate::json::text(&value.to_string(context)?),
    })
}

/// The raw value of `name` in `url`'s query (see [`query_param`]).
fn raw_query_param(url: &str, name: &str) -> Option<String> {
    let url = url.split_once('#').map_or(url, |(before, _)| before);
    let query = &url[url.find('?')?..];
    let key = format!("{name}=");
    query
        .char_indices()
        .filter(|(_, c)| *c == '?' || *c == '&')
        .find_map(|(at, _)| query[at + 1..].strip_prefix(key.as_str()))
        .map(|rest| rest.split('&').next().unwrap_or_default().to_owned())
}

/// `"a.b[0].c"` as the helpers split it: `["a", "b", "0", "c"]`; `""`: none.
fn steps(path: &str) -> Vec<String> {
    let text = path.trim_matches(is_js_space);
    if text.is_empty() {
        return Vec::new();
    }
    let mut flat = String::with_capacity(text.len());
    let mut rest = text;
    // `[word]` becomes `.word`, as `replace(/\[(\w+)\]/g, '.$1')` does.
    while let Some(open) = rest.find('[') {
        flat.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let word = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if word > 0 && after[word..].starts_with(']') {
            flat.push('.');
            flat.push_str(&after[..word]);
            rest = &after[word + 1..];
        } else {
            flat.push('[');
            rest = after;
        }
    }
    flat.push_str(rest);
    let flat = flat.strip_prefix('.').unwrap_or(&flat);
    flat.split('.').map(str::to_owned).collect()
}

/// JavaScript's white space and line terminators, which `trim` removes.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{B}' | '\u{C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// An array index written as JavaScript writes it (`"3"`, not `"03"`).
fn canonical_index(step: &str) -> Option<usize> {
    let index: usize = step.parse().ok()?;
    (index.to_string() == step && index < u32::MAX as usize).then_some(index)
}

/// `hostPage(part)`: the whole part (`cookies`, `globals`, `dataLayer`) as a
/// fresh JavaScript value.
pub(crate) fn host_page(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let text = |i: usize| {
        args.get(i)
            .and_then(JsValue::as_string)
            .map(|s| s.to_std_string_escaped())
    };
    let part = text(0).unwrap_or_default();
    let value = DATA.with(|slot| -> JsResult<Option<Value>> {
        let slot = slot.borrow();
        let Some(data) = slot.as_ref() else {
            return Ok(None);
        };
        let fact = |value: &str| Ok(Some(Value::String(value.to_owned())));
        let raw = match part.as_str() {
            "cookies" => &data.text.cookies,
            "globals" => &data.text.globals,
            "dataLayer" => &data.text.data_layer,
            "url" => return fact(&data.text.url),
            "referrer" => return fact(&data.text.referrer),
            "title" => return fact(&data.text.title),
            "userAgent" => return fact(&data.text.user_agent),
            "language" => return fact(&data.text.language),
            "cookieWrites" => {
                return Ok(Some(Value::from(data.text.cookie_writes.clone())));
            }
            _ => return Ok(None),
        };
        parse(raw, &part).map(Some)
    })?;
    match value {
        Some(value) => JsValue::from_json(&value, context),
        None => Ok(JsValue::undefined()),
    }
}

/// `hostGlobals(name)`: the value of the window global `name` (a key of
/// the page's `globals`); with no name, the list of names.
pub(crate) fn host_globals(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let name = args
        .first()
        .and_then(JsValue::as_string)
        .map(|s| crate::json::text(&s));
    let value = DATA.with(|slot| -> JsResult<Value> {
        let mut slot = slot.borrow_mut();
        let Some(data) = slot.as_mut() else {
            return Ok(Value::Null);
        };
        if data.globals.is_none() {
            let parsed = match parse::<Value>(&data.text.globals, "globals")? {
                Value::Object(map) => map,
                _ => serde_json::Map::new(),
            };
            data.globals = Some(parsed);
        }
        let globals = data.globals.as_ref().map(|g| match &name {
            Some(name) => g.get(name).cloned().unwrap_or(Value::Null),
            None => Value::from(g.keys().cloned().collect::<Vec<_>>()),
        });
        Ok(globals.unwrap_or(Value::Null))
    })?;
    JsValue::from_json(&value, context)
}

fn parse<'a, T: serde::Deserialize<'a>>(raw: &'a RawValue, part: &str) -> JsResult<T> {
    serde_json::from_str(raw.get()).map_err(|e| {
        JsNativeError::typ()
            .with_message(format!("the page's {part} cannot be read: {e}"))
            .into()
    })
}

#[cfg(test)]
mod tests {
    use super::{canonical_index, raw_query_param, steps};

    #[test]
    fn query_params_are_found_as_the_reference_finds_them() {
        let url = "https://s.example/p?a=1&utm_source=mail&b=x+y%21&a=2&&c=#frag?d=4";
        assert_eq!(raw_query_param(url, "a").as_deref(), Some("1"));
        assert_eq!(raw_query_param(url, "utm_source").as_deref(), Some("mail"));
        assert_eq!(raw_query_param(url, "b").as_deref(), Some("x+y%21"));
        assert_eq!(raw_query_param(url, "c").as_deref(), Some(""));
        assert_eq!(
            raw_query_param(url, "d"),
            None,
            "after the # is not the query"
        );
        assert_eq!(raw_query_param(url, "source"), None, "a whole name only");
        assert_eq!(raw_query_param("https://s.example/p", "a"), None);
        assert_eq!(raw_query_param("?x.y=1", "x.y").as_deref(), Some("1"));
    }

    #[test]
    fn paths_split_as_the_helpers_split_them() {
        assert_eq!(steps(" website.redesign "), ["website", "redesign"]);
        assert_eq!(steps("a.b[0].c"), ["a", "b", "0", "c"]);
        assert_eq!(steps("[0].x"), ["0", "x"]);
        assert_eq!(steps("a[b-c]"), ["a[b-c]"]);
        assert_eq!(steps("a..b"), ["a", "", "b"]);
        assert_eq!(steps("\u{FEFF}x\u{3000}"), ["x"]);
        assert!(steps("  ").is_empty());
        assert_eq!(canonical_index("3"), Some(3));
        assert_eq!(canonical_index("03"), None);
        assert_eq!(canonical_index("+3"), None);
    }
}

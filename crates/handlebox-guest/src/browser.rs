//! The Rust half of the page's browser (`browser.js`): URLs parsed and
//! changed as browsers do (the WHATWG URL standard, through the `url`
//! crate's `quirks` API, which is that standard's API), and
//! `application/x-www-form-urlencoded` for `URLSearchParams`.

use boa_engine::object::builtins::JsArray;
use boa_engine::{Context, JsNativeError, JsResult, JsString, JsValue, js_string};
use url::Url;

use crate::json::text;

thread_local! {
    /// Whether a handler wrote a cookie since the last [`take_cookie_note`].
    static COOKIE_WRITTEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `cookieWritten()`: notes that `document.cookie` was written, so the
/// event's writes are collected (most events write none).
pub(crate) fn cookie_written(
    _this: &JsValue,
    _args: &[JsValue],
    _context: &mut Context,
) -> JsResult<JsValue> {
    COOKIE_WRITTEN.with(|written| written.set(true));
    Ok(JsValue::undefined())
}

/// Whether a cookie was written since the last call.
pub(crate) fn take_cookie_note() -> bool {
    COOKIE_WRITTEN.with(|written| written.replace(false))
}

/// The parts of a URL `urlPart` reads and `urlSetPart` writes.
const PARTS: [&str; 11] = [
    "href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname",
    "search", "hash",
];

fn arg(args: &[JsValue], index: usize, context: &mut Context) -> JsResult<String> {
    match args.get(index) {
        Some(value) => Ok(text(&value.to_string(context)?)),
        None => Ok("undefined".to_owned()),
    }
}

fn string(value: &str) -> JsValue {
    JsString::from(value).into()
}

/// `urlParse(input, base)`: the serialised URL, or `null` when `input`
/// (against `base`, when given) is not a URL.
pub(crate) fn url_parse(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let input = arg(args, 0, context)?;
    let base = match args.get(1) {
        Some(value) if !value.is_undefined() => Some(text(&value.to_string(context)?)),
        _ => None,
    };
    let parsed = match base {
        Some(base) => Url::parse(&base).and_then(|base| base.join(&input)),
        None => Url::parse(&input),
    };
    Ok(match parsed {
        Ok(url) => string(url.as_str()),
        Err(_) => JsValue::null(),
    })
}

fn parsed(href: &str) -> JsResult<Url> {
    Url::parse(href).map_err(|e| {
        JsNativeError::typ()
            .with_message(format!("Invalid URL '{href}': {e}"))
            .into()
    })
}

/// `urlPart(href, name)`: one part of a serialised URL, as `URL`'s getter
/// of that name gives it.
pub(crate) fn url_part(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let href = arg(args, 0, context)?;
    let name = arg(args, 1, context)?;
    let url = parsed(&href)?;
    let value = match name.as_str() {
        "href" => url::quirks::href(&url).to_owned(),
        "origin" => url::quirks::origin(&url),
        "protocol" => url::quirks::protocol(&url).to_owned(),
        "username" => url::quirks::username(&url).to_owned(),
        "password" => url::quirks::password(&url).to_owned(),
        "host" => url::quirks::host(&url).to_owned(),
        "hostname" => url::quirks::hostname(&url).to_owned(),
        "port" => url::quirks::port(&url).to_owned(),
        "pathname" => url::quirks::pathname(&url).to_owned(),
        "search" => url::quirks::search(&url).to_owned(),
        "hash" => url::quirks::hash(&url).to_owned(),
        _ => return Ok(JsValue::undefined()),
    };
    Ok(string(&value))
}

/// `urlSetPart(href, name, value)`: the URL after `URL`'s setter of that
/// name; `null` when a new `href` is not a URL (other setters ignore what
/// they cannot take, as in a browser).
pub(crate) fn url_set_part(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let href = arg(args, 0, context)?;
    let name = arg(args, 1, context)?;
    let value = arg(args, 2, context)?;
    let mut url = parsed(&href)?;
    match name.as_str() {
        "href" if url::quirks::set_href(&mut url, &value).is_err() => {
            return Ok(JsValue::null());
        }
        "href" => {}
        "protocol" => drop(url::quirks::set_protocol(&mut url, &value)),
        "username" => drop(url::quirks::set_username(&mut url, &value)),
        "password" => drop(url::quirks::set_password(&mut url, &value)),
        "host" => drop(url::quirks::set_host(&mut url, &value)),
        "hostname" => drop(url::quirks::set_hostname(&mut url, &value)),
        "port" => drop(url::quirks::set_port(&mut url, &value)),
        "pathname" => url::quirks::set_pathname(&mut url, &value),
        "search" => url::quirks::set_search(&mut url, &value),
        "hash" => url::quirks::set_hash(&mut url, &value),
        _ => {}
    }
    Ok(string(url.as_str()))
}

/// `formParse(text)`: the name-value pairs of a form-encoded string, as
/// `[[name, value], …]` (`+` is a space, bad escapes are kept).
pub(crate) fn form_parse(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let input = arg(args, 0, context)?;
    let pairs: Vec<JsValue> = url::form_urlencoded::parse(input.as_bytes())
        .map(|(name, value)| JsArray::from_iter([string(&name), string(&value)], context).into())
        .collect();
    Ok(JsArray::from_iter(pairs, context).into())
}

/// `formSerialize(pairs)`: `[[name, value], …]` form-encoded, as
/// `URLSearchParams.prototype.toString` writes it.
pub(crate) fn form_serialize(
    _this: &JsValue,
    args: &[JsValue],
    context: &mut Context,
) -> JsResult<JsValue> {
    let pairs = match args.first().and_then(JsValue::as_object) {
        Some(pairs) => pairs.clone(),
        None => return Ok(js_string!().into()),
    };
    let length = pairs
        .get(js_string!("length"), context)?
        .to_length(context)?;
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for index in 0..length {
        let pair = pairs.get(index, context)?;
        let Some(pair) = pair.as_object() else {
            continue;
        };
        let name = text(&pair.get(0, context)?.to_string(context)?);
        let value = text(&pair.get(1, context)?.to_string(context)?);
        out.append_pair(&name, &value);
    }
    Ok(string(&out.finish()))
}

/// The names `urlPart` answers, for `browser.js` to define getters by.
pub(crate) fn url_parts(context: &mut Context) -> JsValue {
    JsArray::from_iter(PARTS.iter().map(|name| string(name)), context).into()
}

#[cfg(test)]
mod tests {
    use url::Url;

    #[test]
    fn urls_parse_and_change_as_browsers_do() {
        let url = Url::parse("HTTPS://Shop.EXAMPLE:443/a/./b/../c?%zz").unwrap();
        assert_eq!(url.as_str(), "https://shop.example/a/c?%zz");
        let base = Url::parse("https://shop.example/p/sku-107?x=1").unwrap();
        assert_eq!(
            base.join("../c/shoes?x=1#y").unwrap().as_str(),
            "https://shop.example/c/shoes?x=1#y"
        );
        let mut url = Url::parse("https://shop.example/p?a=1").unwrap();
        url::quirks::set_hash(&mut url, "h");
        assert_eq!(url.as_str(), "https://shop.example/p?a=1#h");
        url::quirks::set_search(&mut url, "");
        assert_eq!(url.as_str(), "https://shop.example/p#h");
    }
}

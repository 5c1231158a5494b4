//! The page's data as the host sent it, kept as JSON text and converted to
//! JavaScript only when a helper reads it: a page whose handlers read
//! `website.redesign` converts `website`, not the whole `digitalData`.

use std::cell::RefCell;
use std::collections::HashMap;

use boa_engine::{Context, JsNativeError, JsResult, JsValue};
use handlebox_protocol::PageText;
use serde_json::Value;
use serde_json::value::RawValue;

/// One page's data, and `digitalData` split at its top level once read.
struct PageData {
    text: PageText,
    top: Option<HashMap<String, Box<RawValue>>>,
}

thread_local! {
    static DATA: RefCell<Option<PageData>> = const { RefCell::new(None) };
}

/// Makes `text` the page the helpers read.
pub(crate) fn open(text: PageText) {
    DATA.with(|slot| *slot.borrow_mut() = Some(PageData { text, top: None }));
}

/// Replaces the page's `digitalData`.
pub(crate) fn set_digital_data(value: Box<RawValue>) {
    DATA.with(|slot| {
        if let Some(data) = slot.borrow_mut().as_mut() {
            data.text.digital_data = value;
            data.top = None;
        }
    });
}

/// Whether the page's `digitalData` is a JSON object (so that a path's first
/// step is one of its keys).
pub(crate) fn digital_data_is_object() -> bool {
    DATA.with(|slot| {
        slot.borrow()
            .as_ref()
            .is_some_and(|data| data.text.digital_data.get().trim_start().starts_with('{'))
    })
}

/// The URL of the open page, `""` before one is open.
pub(crate) fn url() -> String {
    DATA.with(|slot| {
        slot.borrow()
            .as_ref()
            .map(|data| data.text.url.clone())
            .unwrap_or_default()
    })
}

/// `hostPage(part)`: the whole part (`digitalData`, `cookies`, `globals`,
/// `dataLayer`) as a fresh JavaScript value; `hostPage('digitalData', key)`:
/// only `digitalData[key]`, `undefined` when it has no such key.
pub(crate) fn host_page(_this: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let text = |i: usize| {
        args.get(i)
            .and_then(JsValue::as_string)
            .map(|s| s.to_std_string_escaped())
    };
    let part = text(0).unwrap_or_default();
    let key = text(1);
    let value = DATA.with(|slot| -> JsResult<Option<Value>> {
        let mut slot = slot.borrow_mut();
        let Some(data) = slot.as_mut() else {
            return Ok(None);
        };
        let raw = match (part.as_str(), key) {
            ("digitalData", Some(key)) => {
                if data.top.is_none() {
                    data.top = Some(parse(&data.text.digital_data, &part)?);
                }
                match data.top.as_ref().and_then(|top| top.get(&key)) {
                    Some(raw) => raw,
                    None => return Ok(None),
                }
            }
            ("digitalData", None) => &data.text.digital_data,
            ("cookies", _) => &data.text.cookies,
            ("globals", _) => &data.text.globals,
            ("dataLayer", _) => &data.text.data_layer,
            _ => return Ok(None),
        };
        parse(raw, &part).map(Some)
    })?;
    match value {
        Some(value) => JsValue::from_json(&value, context),
        None => Ok(JsValue::undefined()),
    }
}

fn parse<'a, T: serde::Deserialize<'a>>(raw: &'a RawValue, part: &str) -> JsResult<T> {
    serde_json::from_str(raw.get()).map_err(|e| {
        JsNativeError::typ()
            .with_message(format!("the page's {part} cannot be read: {e}"))
            .into()
    })
}

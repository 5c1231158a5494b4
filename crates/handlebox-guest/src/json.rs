//! `JSON.stringify` for plain data, written in Rust: objects whose
//! prototype is `Object.prototype`, arrays, strings, numbers, booleans and
//! `null`, with values `JSON.stringify` writes as `null` although they are
//! not (`NaN`, `±Infinity`) marked as `runtime.js`'s `toJson` marks them
//! (see `NULL_IN_JSON`). Events are such data almost always; anything else
//! (a `toJSON` method, a getter, a `Date`, a class instance, a proxy, a
//! `BigInt`, a cycle, very deep nesting) answers `None`, and the caller
//! falls back to `toJson`, which is the definition.

use boa_engine::property::PropertyKey;
use boa_engine::{Context, JsObject, JsString, JsValue, js_string};
use handlebox_protocol::NULL_IN_JSON;

/// Deepest nesting written here; deeper data goes the slow way.
const MAX_DEPTH: usize = 128;

/// The JSON text of `value`, or `None` when it is not plain data (or is
/// `undefined`, a function or a symbol, which have no JSON text).
pub(crate) fn plain(value: &JsValue, context: &Context) -> Option<String> {
    let intrinsics = context.intrinsics().constructors();
    let prototypes = Prototypes {
        object: intrinsics.object().prototype(),
        array: intrinsics.array().prototype(),
    };
    let to_json: PropertyKey = js_string!("toJSON").into();
    for prototype in [&prototypes.object, &prototypes.array] {
        if prototype.borrow().properties().contains_key(&to_json) {
            return None;
        }
    }
    let mut writer = Writer {
        out: String::new(),
        prototypes,
        to_json,
        stack: Vec::new(),
    };
    match writer.value(value)? {
        Written::Text => Some(writer.out),
        Written::Nothing => None,
    }
}

struct Prototypes {
    object: JsObject,
    array: JsObject,
}

struct Writer {
    out: String,
    prototypes: Prototypes,
    to_json: PropertyKey,
    /// The objects being written, to refuse cycles.
    stack: Vec<JsObject>,
}

/// Whether a value wrote text or, like `undefined`, has none.
enum Written {
    Text,
    Nothing,
}

impl Writer {
    fn value(&mut self, value: &JsValue) -> Option<Written> {
        if value.is_undefined() || value.is_symbol() {
            return Some(Written::Nothing);
        }
        if value.is_null() {
            self.out.push_str("null");
        } else if let Some(flag) = value.as_boolean() {
            self.out.push_str(if flag { "true" } else { "false" });
        } else if let Some(number) = value.as_number() {
            self.number(number);
        } else if let Some(text) = value.as_string() {
            self.string(&text);
        } else if let Some(object) = value.as_object() {
            if object.is_callable() {
                return Some(Written::Nothing);
            }
            if self.stack.len() >= MAX_DEPTH || self.stack.iter().any(|o| o == &object) {
                return None;
            }
            self.stack.push(object.clone());
            let written = self.object(&object);
            self.stack.pop();
            written?;
        } else {
            return None;
        }
        Some(Written::Text)
    }

    fn number(&mut self, number: f64) {
        if number.is_finite() {
            self.out.push_str(ryu_js::Buffer::new().format(number));
        } else {
            let shown = if number.is_nan() {
                "fNaN"
            } else if number > 0.0 {
                "tInfinity"
            } else {
                "t-Infinity"
            };
            self.out.push('"');
            self.out.push(NULL_IN_JSON);
            self.out.push_str(shown);
            self.out.push('"');
        }
    }

    fn string(&mut self, text: &JsString) {
        let text: String = char::decode_utf16(text.iter())
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        self.quote(&text);
    }

    fn quote(&mut self, text: &str) {
        // serde_json escapes exactly what JSON.stringify escapes in
        // well-formed text.
        match serde_json::to_string(text) {
            Ok(quoted) => self.out.push_str(&quoted),
            Err(_) => self.out.push_str("\"\""),
        }
    }

    fn object(&mut self, object: &JsObject) -> Option<()> {
        let prototype = object.prototype()?;
        if object.is_array() && prototype == self.prototypes.array {
            return self.array(object);
        }
        if !object.is_ordinary() || prototype != self.prototypes.object {
            return None;
        }
        let borrowed = object.borrow();
        let properties = borrowed.properties();
        if properties.contains_key(&self.to_json) {
            return None;
        }
        let mut keys: Vec<(u32, PropertyKey)> = Vec::new();
        let mut named: Vec<PropertyKey> = Vec::new();
        for key in properties.index_property_keys() {
            keys.push((key, PropertyKey::from(key)));
        }
        keys.sort_by_key(|(index, _)| *index);
        for key in borrowed.shape().keys() {
            if matches!(key, PropertyKey::String(_)) {
                named.push(key);
            }
        }
        let mut entries = Vec::with_capacity(keys.len() + named.len());
        for key in keys.into_iter().map(|(_, key)| key).chain(named) {
            let descriptor = properties.get(&key)?;
            if descriptor.is_accessor_descriptor() {
                return None;
            }
            if descriptor.enumerable() != Some(true) {
                continue;
            }
            entries.push((key, descriptor.value().cloned().unwrap_or_default()));
        }
        drop(borrowed);
        self.out.push('{');
        let mut first = true;
        for (key, value) in entries {
            let mark = self.out.len();
            if !first {
                self.out.push(',');
            }
            match &key {
                PropertyKey::String(name) => self.string(name),
                PropertyKey::Index(index) => self.quote(&index.get().to_string()),
                PropertyKey::Symbol(_) => continue,
            }
            self.out.push(':');
            match self.value(&value)? {
                Written::Text => first = false,
                Written::Nothing => self.out.truncate(mark),
            }
        }
        self.out.push('}');
        Some(())
    }

    fn array(&mut self, array: &JsObject) -> Option<()> {
        let borrowed = array.borrow();
        let properties = borrowed.properties();
        let length = properties
            .get(&js_string!("length").into())?
            .value()?
            .as_number()? as u32;
        let mut items = Vec::with_capacity(length as usize);
        for index in 0..length {
            // A hole reads through the prototype chain: the slow way.
            let descriptor = properties.get(&PropertyKey::from(index))?;
            if descriptor.is_accessor_descriptor() {
                return None;
            }
            items.push(descriptor.value().cloned().unwrap_or_default());
        }
        drop(borrowed);
        self.out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            if let Written::Nothing = self.value(item)? {
                self.out.push_str("null");
            }
        }
        self.out.push(']');
        Some(())
    }
}

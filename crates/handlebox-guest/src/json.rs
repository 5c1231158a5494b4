//! JSON text to JavaScript values ([`parse`]), and `JSON.stringify` for
//! plain data ([`plain`]), written in Rust: objects whose
//! prototype is `Object.prototype`, arrays, strings, numbers, booleans and
//! `null`, with values `JSON.stringify` writes as `null` although they are
//! not (`NaN`, `±Infinity`) marked as `runtime.js`'s `toJson` marks them
//! (see `NULL_IN_JSON`). Events are such data almost always; anything else
//! (a `toJSON` method, a getter, a `Date`, a class instance, a proxy, a
//! `BigInt`, a cycle, very deep nesting) answers `None`, and the caller
//! falls back to `toJson`, which is the definition.

use std::borrow::Cow;

use boa_engine::object::ObjectInitializer;
use boa_engine::object::builtins::JsArray;
use boa_engine::property::{Attribute, PropertyKey};
use boa_engine::{Context, JsObject, JsString, JsValue, js_string};
use handlebox_protocol::NULL_IN_JSON;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JavaScript string as Rust text; a lone surrogate is written as its
/// escape, as `to_std_string_escaped` writes it.
pub(crate) fn text(value: &JsString) -> String {
    value
        .to_std_string()
        .unwrap_or_else(|_| value.to_std_string_escaped())
}

/// Deepest nesting written here; deeper data goes the slow way.
const MAX_DEPTH: usize = 128;

/// What [`plain`] made of a value.
pub(crate) enum Plain {
    /// Its JSON text.
    Text(String),
    /// Its JSON is longer than the limit; writing stopped there.
    TooLarge,
    /// Not plain data (or `undefined`, a function, a symbol): ask `toJson`.
    Other,
}

/// The JSON text of `value`, written up to `limit` bytes.
pub(crate) fn plain(value: &JsValue, context: &Context, limit: usize) -> Plain {
    // `JSON.stringify` asks only objects (and BigInts) for `toJSON`.
    if value.as_object().is_none() {
        let mut out = Vec::new();
        return match primitive(value, &mut out) {
            Some(Written::Text) if out.len() > limit => Plain::TooLarge,
            Some(Written::Text) => String::from_utf8(out).map_or(Plain::Other, Plain::Text),
            _ => Plain::Other,
        };
    }
    let intrinsics = context.intrinsics().constructors();
    let prototypes = Prototypes {
        object: intrinsics.object().prototype(),
        array: intrinsics.array().prototype(),
    };
    let to_json: PropertyKey = js_string!("toJSON").into();
    for prototype in [&prototypes.object, &prototypes.array] {
        if prototype.borrow().properties().contains_key(&to_json) {
            return Plain::Other;
        }
    }
    let mut writer = Writer {
        out: Vec::new(),
        prototypes,
        to_json,
        stack: Vec::new(),
        limit,
    };
    match writer.value(value) {
        _ if writer.out.len() > limit => Plain::TooLarge,
        Some(Written::Text) => String::from_utf8(writer.out).map_or(Plain::Other, Plain::Text),
        _ => Plain::Other,
    }
}

struct Prototypes {
    object: JsObject,
    array: JsObject,
}

struct Writer {
    out: Vec<u8>,
    prototypes: Prototypes,
    to_json: PropertyKey,
    /// The objects being written, to refuse cycles.
    stack: Vec<JsObject>,
    /// Writing stops once the text is longer than this.
    limit: usize,
}

/// Whether a value wrote text or, like `undefined`, has none.
enum Written {
    Text,
    Nothing,
}

/// Writes a value that is not an object; `None` for a BigInt.
fn primitive(value: &JsValue, out: &mut Vec<u8>) -> Option<Written> {
    if value.is_undefined() || value.is_symbol() {
        return Some(Written::Nothing);
    }
    if value.is_null() {
        out.extend_from_slice(b"null");
    } else if let Some(flag) = value.as_boolean() {
        out.extend_from_slice(if flag { b"true" } else { b"false" });
    } else if let Some(number) = value.as_number() {
        number_into(number, out);
    } else if let Some(text) = value.as_string() {
        string_into(&text, out);
    } else {
        return None;
    }
    Some(Written::Text)
}

fn number_into(number: f64, out: &mut Vec<u8>) {
    if number.is_finite() {
        out.extend_from_slice(ryu_js::Buffer::new().format(number).as_bytes());
    } else {
        let shown = if number.is_nan() {
            "fNaN"
        } else if number > 0.0 {
            "tInfinity"
        } else {
            "t-Infinity"
        };
        let mut mark = [0; 4];
        out.push(b'"');
        out.extend_from_slice(NULL_IN_JSON.encode_utf8(&mut mark).as_bytes());
        out.extend_from_slice(shown.as_bytes());
        out.push(b'"');
    }
}

fn string_into(text: &JsString, out: &mut Vec<u8>) {
    let text: String = char::decode_utf16(text.iter())
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    quote_into(&text, out);
}

fn quote_into(text: &str, out: &mut Vec<u8>) {
    // serde_json escapes exactly what JSON.stringify escapes in
    // well-formed text; writing to a Vec cannot fail.
    if serde_json::to_writer(&mut *out, text).is_err() {
        out.extend_from_slice(b"\"\"");
    }
}

impl Writer {
    fn value(&mut self, value: &JsValue) -> Option<Written> {
        if self.out.len() > self.limit {
            return None;
        }
        if let Some(object) = value.as_object() {
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
            return Some(Written::Text);
        }
        primitive(value, &mut self.out)
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
        self.out.push(b'{');
        let mut first = true;
        for (key, value) in entries {
            let mark = self.out.len();
            if !first {
                self.out.push(b',');
            }
            match &key {
                PropertyKey::String(name) => string_into(name, &mut self.out),
                PropertyKey::Index(index) => quote_into(&index.get().to_string(), &mut self.out),
                PropertyKey::Symbol(_) => continue,
            }
            self.out.push(b':');
            match self.value(&value)? {
                Written::Text => first = false,
                Written::Nothing => self.out.truncate(mark),
            }
        }
        self.out.push(b'}');
        Some(())
    }

    fn array(&mut self, array: &JsObject) -> Option<()> {
        let borrowed = array.borrow();
        let properties = borrowed.properties();
        if properties.contains_key(&self.to_json) {
            return None;
        }
        let length = properties
            .get(&js_string!("length").into())?
            .value()?
            .as_number()? as u32;
        // Every element writes at least one byte: past the limit, stop here.
        if length as usize > self.limit {
            self.out.resize(self.limit + 1, b' ');
            return None;
        }
        let mut items = Vec::new();
        for index in 0..length {
            // A hole reads through the prototype chain: the slow way.
            let descriptor = properties.get(&PropertyKey::from(index))?;
            if descriptor.is_accessor_descriptor() {
                return None;
            }
            items.push(descriptor.value().cloned().unwrap_or_default());
        }
        drop(borrowed);
        self.out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            if let Written::Nothing = self.value(item)? {
                self.out.extend_from_slice(b"null");
            }
        }
        self.out.push(b']');
        Some(())
    }
}

/// JSON text as a fresh JavaScript value, built directly (no intermediate
/// `serde_json::Value`), as `JsValue::from_json` builds it: objects with
/// `Object.prototype`, keys in order (a repeated key keeps its first place
/// and its last value), integers in the `i32` range as integers.
pub(crate) fn parse(text: &str, context: &mut Context) -> Result<JsValue, String> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Seed { context }
        .deserialize(&mut deserializer)
        .map_err(|e| e.to_string())?;
    deserializer.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// Builds one JSON value in `context`.
struct Seed<'c> {
    context: &'c mut Context,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = JsValue;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<JsValue, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = JsValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<JsValue, E> {
        Ok(JsValue::null())
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<JsValue, E> {
        Ok(JsValue::new(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<JsValue, E> {
        Ok(match i32::try_from(value) {
            Ok(small) => JsValue::new(small),
            Err(_) => JsValue::new(value as f64),
        })
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<JsValue, E> {
        Ok(match i32::try_from(value) {
            Ok(small) => JsValue::new(small),
            Err(_) => JsValue::new(value as f64),
        })
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<JsValue, E> {
        Ok(JsValue::new(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<JsValue, E> {
        Ok(JsString::from(value).into())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsValue, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(Seed {
            context: &mut *self.context,
        })? {
            items.push(item);
        }
        Ok(JsArray::from_iter(items, self.context).into())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsValue, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let value = map.next_value_seed(Seed {
                context: &mut *self.context,
            })?;
            entries.push((JsString::from(key.as_ref()), value));
        }
        let mut object = ObjectInitializer::new(self.context);
        for (key, value) in entries {
            object.property(key, value, Attribute::all());
        }
        Ok(object.build().into())
    }
}

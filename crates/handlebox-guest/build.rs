//! Turns `src/cldr_patterns.json` (written from CLDR by `cldr/generate.mjs`)
//! into static Rust data, sorted for binary search: a page that formats a
//! price reads it where it lies, instead of parsing 50 KB of JSON first
//! (1 ms a page) or finding it parsed in a snapshot whose heap it scatters
//! (measured: 16 times the page faults of a typical page).

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::Value;

const FIELDS: [(&str, &str); 9] = [
    ("currency", "currency"),
    ("currencyAlpha", "currency_alpha"),
    ("percent", "percent"),
    ("minus", "minus"),
    ("plus", "plus"),
    ("nan", "nan"),
    ("percentSign", "percent_sign"),
    ("date", "date"),
    ("dateTime", "date_time"),
];

fn main() {
    let source = "src/cldr_patterns.json";
    println!("cargo:rerun-if-changed={source}");
    let text = std::fs::read_to_string(source).expect("src/cldr_patterns.json is readable");
    let table: Value = serde_json::from_str(&text).expect("src/cldr_patterns.json is JSON");
    let mut out = String::new();
    out.push_str("/// Fraction digits of the currencies that do not have 2, by code.\n");
    out.push_str("static FRACTIONS: &[(&str, u8)] = &[\n");
    for (code, digits) in sorted(&table["fractions"]) {
        let digits = digits.as_u64().expect("a currency's digits are a number");
        writeln!(out, "    ({code:?}, {digits}),").expect("writing to a String");
    }
    out.push_str("];\n\n/// What each locale changes from its parent, by name.\n");
    out.push_str("static LOCALES: &[(&str, Entry)] = &[\n");
    for (name, entry) in sorted(&table["locales"]) {
        writeln!(out, "    ({name:?}, Entry {{").expect("writing to a String");
        for (json, rust) in FIELDS {
            match entry.get(json).and_then(Value::as_str) {
                Some(value) => writeln!(out, "        {rust}: Some({value:?}),"),
                None => writeln!(out, "        {rust}: None,"),
            }
            .expect("writing to a String");
        }
        for map in ["symbol", "narrow"] {
            write!(out, "        {map}: &[").expect("writing to a String");
            for (code, shown) in sorted(&entry[map]) {
                let shown = shown.as_str().expect("a symbol is a string");
                write!(out, "({code:?}, {shown:?}), ").expect("writing to a String");
            }
            out.push_str("],\n");
        }
        out.push_str("    }),\n");
    }
    out.push_str("];\n");
    let dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(dir.join("cldr_patterns.rs"), out).expect("OUT_DIR is writable");
}

/// An object's members sorted by key (byte order, as `str::cmp` sorts); none
/// for anything else.
fn sorted(value: &Value) -> Vec<(String, Value)> {
    let mut members: Vec<(String, Value)> = value
        .as_object()
        .map(|object| object.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    members.sort_by(|a, b| a.0.cmp(&b.0));
    members
}

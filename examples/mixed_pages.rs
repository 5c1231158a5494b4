//! Writes the mixed shop workload as NDJSON, one page a line, for the
//! replay and the peer scripts:
//! `cargo run --release --example mixed_pages -- 2000 > mixed.ndjson`.

#[path = "../benches/workload/mod.rs"]
mod workload;

use std::io::Write;

fn main() {
    let count = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for page in workload::pages(count) {
        if writeln!(out, "{page}").is_err() {
            std::process::exit(1);
        }
    }
}

//! How output reads: the one rule every command follows when `--format` is
//! not given (pretty text for people when stdout is a terminal, JSON for
//! programs otherwise), and counts in words.

use std::io::IsTerminal;

/// `given`, else `pretty` when stdout is a terminal and `json` when it is
/// a pipe or a file.
pub fn chosen<F>(given: Option<F>, pretty: F, json: F) -> F {
    given.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            pretty
        } else {
            json
        }
    })
}

/// `1 error`, `2 errors`, `0 warnings`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

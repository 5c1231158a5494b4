//! Showing handler outcomes to people: values, console lines, errors with
//! the offending line of the handler and a caret under the column.

use std::fmt::Write as _;

use handlebox_sandbox::{Cost, ErrorInfo, LogLine};

/// `error     thrown at line 2, column 8: TypeError: …` plus the source line.
pub fn error(out: &mut String, error: &ErrorInfo, source: &str) {
    let _ = match (error.line, error.column) {
        (Some(line), Some(column)) => writeln!(
            out,
            "error     {} at line {line}, column {column}: {}",
            error.kind.as_str(),
            error.message
        ),
        _ => writeln!(out, "error     {}: {}", error.kind.as_str(), error.message),
    };
    if let Some(excerpt) = excerpt(source, error.line, error.column) {
        out.push_str(&excerpt);
    }
}

/// The handler's line `line` with a caret under `column`, indented.
pub fn excerpt(source: &str, line: Option<u32>, column: Option<u32>) -> Option<String> {
    let line = line?;
    let text = source.split('\n').nth(line.checked_sub(1)? as usize)?;
    let number = line.to_string();
    let mut out = format!("          {number} | {}\n", text.trim_end());
    if let Some(column) = column {
        let pad: String = text
            .chars()
            .take(column.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = writeln!(out, "          {} | {pad}^", " ".repeat(number.len()));
    }
    Some(out)
}

/// One `console` line per row.
pub fn logs(out: &mut String, logs: &[LogLine], dropped: usize) {
    for log in logs {
        let _ = writeln!(out, "console   {}: {}", log.level, log.message);
    }
    if dropped > 0 {
        let _ = writeln!(out, "console   … {dropped} more lines not kept");
    }
}

/// `cost      0.61 ms · 5.4 MiB memory · 1234 fuel`.
pub fn cost(out: &mut String, cost: &Cost) {
    let _ = write!(
        out,
        "cost      {:.2} ms · {:.1} MiB memory",
        cost.micros as f64 / 1000.0,
        cost.memory_bytes as f64 / (1 << 20) as f64
    );
    if let Some(fuel) = cost.fuel {
        let _ = write!(out, " · {fuel} fuel");
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_points_at_the_column() {
        let text = excerpt("a\n  b.c;", Some(2), Some(3)).unwrap();
        assert_eq!(text, "          2 |   b.c;\n            |   ^\n");
        assert_eq!(excerpt("a", Some(5), Some(1)), None);
        assert_eq!(excerpt("a", None, None), None);
    }
}

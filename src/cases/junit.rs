//! JUnit XML for CI systems: one `testsuite` per file, one `testcase` per
//! case, failures with their messages, skipped cases marked.

use std::fmt::Write as _;

use super::{Outcome, Report, Tally};

/// XML text with `&`, `<`, `>`, `"` and `'` escaped, and control characters
/// that XML 1.0 forbids dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// The whole run as a JUnit XML document.
pub fn render(reports: &[Report]) -> String {
    let all = Tally::of(reports.iter());
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"handlebox\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
        reports.len(),
        all.failed,
        all.skipped
    );
    let mut files: Vec<&str> = reports.iter().map(|r| r.file.as_str()).collect();
    files.dedup();
    for file in files {
        let in_file: Vec<&Report> = reports.iter().filter(|r| r.file == file).collect();
        let tally = Tally::of(in_file.iter().copied());
        let seconds: f64 = in_file.iter().map(|r| r.seconds).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{seconds:.3}\">",
            escape(file),
            in_file.len(),
            tally.failed,
            tally.skipped
        );
        for report in in_file {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                escape(&report.name),
                escape(file),
                report.seconds
            );
            match &report.outcome {
                Outcome::Pass => out.push_str("/>\n"),
                Outcome::Skip(reason) => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape(reason)
                    );
                }
                Outcome::Fail(details) => {
                    let first = details.lines().next().unwrap_or("failed");
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\" type=\"expectation\">{}</failure>\n    </testcase>",
                        escape(first),
                        escape(details)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}

//! JUnit XML for CI systems (written by `quick-junit`): one `testsuite` per
//! file, one `testcase` per case, failures with their messages, skipped
//! cases marked.

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::{Outcome, Report};

/// The whole run as a JUnit XML document.
pub fn render(reports: &[Report]) -> String {
    let mut junit = JunitReport::new("handlebox");
    let mut files: Vec<&str> = reports.iter().map(|r| r.file.as_str()).collect();
    files.dedup();
    for file in files {
        let mut suite = TestSuite::new(file);
        for report in reports.iter().filter(|r| r.file == file) {
            let status = match &report.outcome {
                Outcome::Pass => TestCaseStatus::success(),
                Outcome::Skip(reason) => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(reason.as_str());
                    status
                }
                Outcome::Fail(details) => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status
                        .set_message(details.lines().next().unwrap_or("failed"))
                        .set_type("expectation")
                        .set_description(details.as_str());
                    status
                }
            };
            let mut case = TestCase::new(report.name.as_str(), status);
            case.set_classname(file).set_time(report.time);
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit.to_string().unwrap_or_else(|e| {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- the report could not be written: {e} -->\n")
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn escapes_markup_and_counts_outcomes() {
        let report = |name: &str, outcome| Report {
            file: "a.test.json".to_owned(),
            name: name.to_owned(),
            outcome,
            time: Duration::from_millis(5),
        };
        let xml = render(&[
            report("a<b & \"c\"", Outcome::Pass),
            report("fails", Outcome::Fail("missing call: x\nmore".to_owned())),
            report("later", Outcome::Skip("not yet".to_owned())),
        ]);
        assert!(xml.contains("a&lt;b &amp; &quot;c&quot;"), "{xml}");
        assert!(xml.contains("tests=\"3\" failures=\"1\""), "{xml}");
        assert!(
            xml.contains("<failure message=\"missing call: x\" type=\"expectation\">"),
            "{xml}"
        );
        assert!(xml.contains("<skipped message=\"not yet\"/>"), "{xml}");
    }
}

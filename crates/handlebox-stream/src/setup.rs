//! The streams and the consumer the worker needs: found when they exist,
//! created when they do not, and refused when they exist with a
//! configuration that conflicts with the flags (never changed silently:
//! other workers and other programs may depend on them).

use async_nats::jetstream::consumer::{AckPolicy, PullConsumer, pull};
use async_nats::jetstream::context::GetStreamByNameErrorKind;
use async_nats::jetstream::stream::{Config, StorageType};
use async_nats::jetstream::{self, Context};

use crate::{ConsumeConfig, ConsumeError};

/// What the worker reads from and writes to.
pub struct Streams {
    /// JetStream, for publishing Results and dead letters.
    pub context: Context,
    /// The durable consumer of pages.
    pub consumer: PullConsumer,
    /// The largest message the server takes, in bytes.
    pub max_payload: usize,
}

/// Whether the NATS subject `pattern` (with `*` and `>` wildcards) matches
/// the subject `subject`, or (when `subject` has wildcards too) could match
/// a subject it matches.
pub(crate) fn overlaps(pattern: &str, subject: &str) -> bool {
    let (mut a, mut b) = (pattern.split('.'), subject.split('.'));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(">"), Some(_)) | (Some(_), Some(">")) => return true,
            (Some(x), Some(y)) if x == y || x == "*" || y == "*" => {}
            _ => return false,
        }
    }
}

/// Checks the subjects' flags against each other: Results and dead letters
/// are plain subjects, apart from each other and from the pages, so that
/// neither is ever read back as a page.
fn check_subjects(config: &ConsumeConfig) -> Result<(), ConsumeError> {
    for (flag, subject) in [("--results", &config.results), ("--dead", &config.dead)] {
        if subject.is_empty()
            || subject
                .split('.')
                .any(|t| t.is_empty() || t == "*" || t == ">")
        {
            return Err(ConsumeError::Conflict(format!(
                "{flag} {subject:?} must be a plain subject, without wildcards"
            )));
        }
        if overlaps(&config.subject, subject) {
            return Err(ConsumeError::Conflict(format!(
                "{flag} {subject} is among the pages' subjects (--subject {}): its messages would be read as pages",
                config.subject
            )));
        }
    }
    if config.results == config.dead {
        return Err(ConsumeError::Conflict(format!(
            "--results and --dead are both {}",
            config.results
        )));
    }
    Ok(())
}

fn refused(what: impl Into<String>, error: impl std::fmt::Display) -> ConsumeError {
    ConsumeError::JetStream {
        what: what.into(),
        message: error.to_string(),
    }
}

/// Connects and prepares the streams and the consumer `config` names.
pub async fn prepare(config: &ConsumeConfig) -> Result<Streams, ConsumeError> {
    check_subjects(config)?;
    let client = async_nats::ConnectOptions::new()
        .name("handlebox consume")
        .connect(&config.nats)
        .await
        .map_err(|e| ConsumeError::Connect {
            url: config.nats.clone(),
            message: e.to_string(),
        })?;
    let max_payload = client.max_payload();
    let context = jetstream::new(client);
    let mut pages = context
        .get_or_create_stream(Config {
            name: config.stream.clone(),
            subjects: vec![config.subject.clone()],
            storage: StorageType::File,
            ..Config::default()
        })
        .await
        .map_err(|e| refused(format!("the stream {}", config.stream), e))?;
    let info = pages
        .info()
        .await
        .map_err(|e| refused(format!("the stream {}", config.stream), e))?;
    if !info.config.subjects.iter().any(|s| s == &config.subject) {
        return Err(ConsumeError::Conflict(format!(
            "the stream {} holds the subjects {:?}, not --subject {}: choose another --stream, or add the subject to the stream yourself",
            config.stream, info.config.subjects, config.subject
        )));
    }
    if info.config.storage != StorageType::File {
        return Err(ConsumeError::Conflict(format!(
            "the stream {} keeps its pages in memory, where a restart of the server loses them: choose another --stream",
            config.stream
        )));
    }
    for (subject, suffix, flag) in [
        (&config.results, "RESULTS", "--results"),
        (&config.dead, "DEAD", "--dead"),
    ] {
        let holder = match context.stream_by_subject(subject.as_str()).await {
            Ok(name) => Some(name),
            Err(e) if e.kind() == GetStreamByNameErrorKind::NotFound => None,
            Err(e) => {
                return Err(refused(
                    format!("finding the stream of {flag} {subject}"),
                    e,
                ));
            }
        };
        if holder.as_deref() == Some(config.stream.as_str()) {
            return Err(ConsumeError::Conflict(format!(
                "{flag} {subject} is stored in the stream of pages {}: its messages would be read as pages",
                config.stream
            )));
        }
        if holder.is_none() {
            let name = format!("{}_{suffix}", config.stream);
            let mut created = context
                .get_or_create_stream(Config {
                    name: name.clone(),
                    subjects: vec![subject.clone()],
                    storage: StorageType::File,
                    ..Config::default()
                })
                .await
                .map_err(|e| refused(format!("the stream {name} for {flag} {subject}"), e))?;
            let subjects = &created
                .info()
                .await
                .map_err(|e| refused(format!("the stream {name}"), e))?
                .config
                .subjects;
            if !subjects.iter().any(|s| s == subject) {
                return Err(ConsumeError::Conflict(format!(
                    "the stream {name} holds the subjects {subjects:?}, not {flag} {subject}: give the {flag} it was made for, or delete it"
                )));
            }
        }
    }
    let mut consumer: PullConsumer = pages
        .get_or_create_consumer(
            &config.consumer,
            pull::Config {
                durable_name: Some(config.consumer.clone()),
                filter_subject: config.subject.clone(),
                ack_policy: AckPolicy::Explicit,
                ack_wait: config.ack_wait,
                ..pull::Config::default()
            },
        )
        .await
        .map_err(|e| refused(format!("the consumer {}", config.consumer), e))?;
    let info = consumer
        .info()
        .await
        .map_err(|e| refused(format!("the consumer {}", config.consumer), e))?;
    let existing = &info.config;
    let mut conflicts = Vec::new();
    if existing.ack_policy != AckPolicy::Explicit {
        conflicts.push(format!("acks {:?}, not explicitly", existing.ack_policy));
    }
    let reads = if existing.filter_subject.is_empty() {
        if existing.filter_subjects.is_empty() {
            "every subject of the stream".to_owned()
        } else {
            existing.filter_subjects.join(", ")
        }
    } else {
        existing.filter_subject.clone()
    };
    if reads != config.subject {
        conflicts.push(format!("reads {reads}, not --subject {}", config.subject));
    }
    if existing.ack_wait != config.ack_wait {
        conflicts.push(format!(
            "waits {} ms for an ack, not --ack-wait-ms {}",
            existing.ack_wait.as_millis(),
            config.ack_wait.as_millis()
        ));
    }
    if !conflicts.is_empty() {
        return Err(ConsumeError::Conflict(format!(
            "the consumer {} of stream {} {}: choose another --consumer, or give the flags it was made with",
            config.consumer,
            config.stream,
            conflicts.join(", ")
        )));
    }
    Ok(Streams {
        context,
        consumer,
        max_payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_overlap_as_nats_matches_them() {
        assert!(overlaps("handlebox.pages", "handlebox.pages"));
        assert!(overlaps("handlebox.>", "handlebox.results"));
        assert!(overlaps("handlebox.*", "handlebox.dead"));
        assert!(overlaps("*.pages", "handlebox.pages"));
        assert!(!overlaps("handlebox.pages", "handlebox.results"));
        assert!(!overlaps("handlebox.*", "handlebox.results.eu"));
        assert!(!overlaps("handlebox.pages.>", "handlebox.pages"));
    }

    #[test]
    fn results_and_dead_letters_never_become_pages() {
        let config = |subject: &str, results: &str, dead: &str| ConsumeConfig {
            nats: String::new(),
            stream: "HANDLEBOX".to_owned(),
            subject: subject.to_owned(),
            results: results.to_owned(),
            dead: dead.to_owned(),
            consumer: "handlebox".to_owned(),
            workers: 1,
            ack_wait: std::time::Duration::from_secs(30),
        };
        assert!(
            check_subjects(&config(
                "handlebox.pages",
                "handlebox.results",
                "handlebox.dead"
            ))
            .is_ok()
        );
        for (bad, why) in [
            (
                config("handlebox.>", "handlebox.results", "x.dead"),
                "among the pages' subjects",
            ),
            (
                config("handlebox.pages", "handlebox.*", "x.dead"),
                "without wildcards",
            ),
            (config("handlebox.pages", "x.same", "x.same"), "are both"),
            (
                config("handlebox.pages", "x..y", "x.dead"),
                "without wildcards",
            ),
        ] {
            let err = check_subjects(&bad).unwrap_err().to_string();
            assert!(err.contains(why), "{err}");
        }
    }
}

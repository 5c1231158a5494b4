//! The streams and the consumer the worker needs: found when they exist,
//! created when they do not, and refused when they exist with a
//! configuration that conflicts with the flags (never changed silently:
//! other workers and other programs may depend on them).

use async_nats::jetstream::consumer::{AckPolicy, PullConsumer, pull};
use async_nats::jetstream::stream::{Config, StorageType};
use async_nats::jetstream::{self, Context};

use crate::{ConsumeConfig, ConsumeError};

/// What the worker reads from and writes to.
pub struct Streams {
    /// JetStream, for publishing Results and dead letters.
    pub context: Context,
    /// The durable consumer of pages.
    pub consumer: PullConsumer,
}

fn refused(what: impl Into<String>, error: impl std::fmt::Display) -> ConsumeError {
    ConsumeError::JetStream {
        what: what.into(),
        message: error.to_string(),
    }
}

/// Connects and prepares the streams and the consumer `config` names.
pub async fn prepare(config: &ConsumeConfig) -> Result<Streams, ConsumeError> {
    let client = async_nats::ConnectOptions::new()
        .name("handlebox consume")
        .connect(&config.nats)
        .await
        .map_err(|e| ConsumeError::Connect {
            url: config.nats.clone(),
            message: e.to_string(),
        })?;
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
    for (subject, suffix, flag) in [
        (&config.results, "RESULTS", "--results"),
        (&config.dead, "DEAD", "--dead"),
    ] {
        if subject == &config.subject {
            return Err(ConsumeError::Conflict(format!(
                "{flag} {subject} is the subject pages arrive on"
            )));
        }
        if context.stream_by_subject(subject.as_str()).await.is_err() {
            let name = format!("{}_{suffix}", config.stream);
            context
                .get_or_create_stream(Config {
                    name: name.clone(),
                    subjects: vec![subject.clone()],
                    storage: StorageType::File,
                    ..Config::default()
                })
                .await
                .map_err(|e| refused(format!("the stream {name} for {flag} {subject}"), e))?;
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
    if !existing.filter_subject.is_empty() && existing.filter_subject != config.subject {
        conflicts.push(format!(
            "reads {}, not --subject {}",
            existing.filter_subject, config.subject
        ));
    }
    if existing.ack_wait != config.ack_wait {
        conflicts.push(format!(
            "waits {} ms for an ack, not --ack-wait-ms {}",
            existing.ack_wait.as_millis(),
            config.ack_wait.as_millis()
        ));
    }
    if existing.deliver_subject.is_some() {
        conflicts.push("is a push consumer".to_owned());
    }
    if !conflicts.is_empty() {
        return Err(ConsumeError::Conflict(format!(
            "the consumer {} of stream {} {}: choose another --consumer, or give the flags it was made with",
            config.consumer,
            config.stream,
            conflicts.join(", ")
        )));
    }
    Ok(Streams { context, consumer })
}

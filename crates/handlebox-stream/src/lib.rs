//! The stream worker (`handlebox consume`): any number of processes, on any
//! number of machines, share the pages of one NATS JetStream stream through
//! one durable pull consumer.
//!
//! The flow: [`setup::prepare`] finds or creates the streams (pages,
//! Results, dead letters) and the consumer, refusing any whose
//! configuration conflicts with the flags; [`work::run`] then pulls no more
//! pages than it has free workers, runs each through the pipeline on a
//! blocking thread, publishes its Result (header `Handlebox-Page`) and acks
//! the page only once JetStream has stored that Result. A page that is not
//! a page goes to the dead-letter subject with its error and is acked. On
//! shutdown it stops pulling and finishes what it holds.

mod setup;
mod work;

use std::time::Duration;

pub use setup::Streams;

/// Header of a Result: the page's `Nats-Msg-Id`, or its stream sequence.
pub const PAGE_HEADER: &str = "Handlebox-Page";

/// Header of a dead letter: why the message is not a page.
pub const ERROR_HEADER: &str = "Handlebox-Error";

/// What the worker reads and writes, and how much at once.
#[derive(Debug, Clone)]
pub struct ConsumeConfig {
    /// The NATS server, e.g. `nats://127.0.0.1:4222`.
    pub nats: String,
    /// The stream of pages.
    pub stream: String,
    /// The subject pages arrive on.
    pub subject: String,
    /// The subject Results go to.
    pub results: String,
    /// The subject messages that are not pages go to.
    pub dead: String,
    /// The durable consumer every worker shares.
    pub consumer: String,
    /// Pages processed at once; never more are pulled.
    pub workers: usize,
    /// How long JetStream waits for an ack before it delivers a page again
    /// (to this worker or another).
    pub ack_wait: Duration,
}

/// Why the worker stopped.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    /// The NATS server could not be reached.
    #[error("cannot connect to NATS at {url}: {message}")]
    Connect {
        /// The server's URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// A stream or consumer is configured otherwise than the flags say.
    #[error("{0}")]
    Conflict(String),
    /// JetStream refused a request.
    #[error("{what}: {message}")]
    JetStream {
        /// What was asked.
        what: String,
        /// What JetStream answered.
        message: String,
    },
}

pub use work::run;

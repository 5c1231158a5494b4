//! Prometheus metrics: requests by route and status, pages and events
//! processed, handler calls and errors by kind, latency histograms for
//! requests and handler calls, queue depth and busy workers.

use handlebox_pipeline::{PAGE, PageResult};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route pattern, e.g. `/v1/projects/{id}/process`.
    pub route: String,
    /// The HTTP status.
    pub status: u16,
}

/// Labels of a route.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The route pattern.
    pub route: String,
}

/// Labels of a project.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProjectLabels {
    /// The project id.
    pub project: String,
}

/// Labels of a handler error.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// The project id.
    pub project: String,
    /// The error kind (`timeout`, `memory`, …).
    pub kind: String,
}

fn request_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// Every metric the server keeps.
pub struct Metrics {
    registry: Registry,
    /// Requests answered, by route and status.
    pub requests: Family<RequestLabels, Counter>,
    /// Request latency in seconds, by route.
    pub request_seconds: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// Pages processed, by project.
    pub pages: Family<ProjectLabels, Counter>,
    /// Events processed, by project.
    pub events: Family<ProjectLabels, Counter>,
    /// Events listed but not processed (a spent page budget, a cancelled
    /// request), by project.
    pub events_not_processed: Family<ProjectLabels, Counter>,
    /// Handler calls, by project.
    pub handler_calls: Family<ProjectLabels, Counter>,
    /// Handler errors, by project and kind.
    pub handler_errors: Family<ErrorLabels, Counter>,
    /// Handler call latency in seconds.
    pub handler_seconds: Histogram,
    /// Pages waiting for a worker.
    pub queue_depth: Gauge,
    /// Workers running a page.
    pub busy_workers: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric under the `handlebox` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("handlebox");
        let requests = Family::<RequestLabels, Counter>::default();
        let request_seconds =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                request_histogram as fn() -> Histogram,
            );
        let pages = Family::<ProjectLabels, Counter>::default();
        let events = Family::<ProjectLabels, Counter>::default();
        let events_not_processed = Family::<ProjectLabels, Counter>::default();
        let handler_calls = Family::<ProjectLabels, Counter>::default();
        let handler_errors = Family::<ErrorLabels, Counter>::default();
        let handler_seconds = Histogram::new(exponential_buckets(0.00005, 2.0, 14));
        let queue_depth = Gauge::default();
        let busy_workers = Gauge::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            request_seconds.clone(),
        );
        registry.register("pages", "Pages processed", pages.clone());
        registry.register("events", "Events processed", events.clone());
        registry.register(
            "events_not_processed",
            "Events a page's budget left out",
            events_not_processed.clone(),
        );
        registry.register("handler_calls", "Handler calls", handler_calls.clone());
        registry.register(
            "handler_errors",
            "Handler errors by kind",
            handler_errors.clone(),
        );
        registry.register(
            "handler_call_duration_seconds",
            "Handler call latency",
            handler_seconds.clone(),
        );
        registry.register(
            "queue_depth",
            "Pages waiting for a worker",
            queue_depth.clone(),
        );
        registry.register(
            "busy_workers",
            "Workers running a page",
            busy_workers.clone(),
        );
        Self {
            registry,
            requests,
            request_seconds,
            pages,
            events,
            events_not_processed,
            handler_calls,
            handler_errors,
            handler_seconds,
            queue_depth,
            busy_workers,
        }
    }

    /// Counts one page's Result for `project`: the page, its events
    /// (processed or left out by a spent budget), its handler calls, their
    /// time and their errors by kind.
    pub fn record(&self, project: &str, result: &PageResult) {
        let labels = ProjectLabels {
            project: project.to_owned(),
        };
        self.pages.get_or_create(&labels).inc();
        let left_out = result
            .events
            .iter()
            .filter(|e| e.errors.iter().any(|error| error.handler == PAGE))
            .count();
        self.events
            .get_or_create(&labels)
            .inc_by((result.events.len() - left_out) as u64);
        self.events_not_processed
            .get_or_create(&labels)
            .inc_by(left_out as u64);
        self.handler_calls
            .get_or_create(&labels)
            .inc_by(result.stats.handler_micros.len() as u64);
        for micros in &result.stats.handler_micros {
            self.handler_seconds.observe(*micros as f64 / 1e6);
        }
        for error in result.events.iter().flat_map(|e| &e.errors) {
            if error.handler != PAGE {
                self.handler_errors
                    .get_or_create(&ErrorLabels {
                        project: project.to_owned(),
                        kind: error.kind.as_str().to_owned(),
                    })
                    .inc();
            }
        }
    }

    /// The metrics in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            text = format!("# metrics could not be encoded: {e}\n# EOF\n");
        }
        text
    }
}

//! What the handlers saw, per event and integration, when a page is traced
//! ([`crate::Pipeline::with_trace`], `run --trace`): `digitalData` as
//! enriched before the event, the event as the handlers received it, what
//! each call changed, and the event after the overrides and after the
//! variables, as GTM's preview shows the data layer at each event.

use handlebox_sandbox::{CallOutcome, Step};
use serde::Serialize;
use serde_json::Value;

/// One integration's handlers on one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationTrace {
    /// The integration, e.g. `Flocktory`.
    pub integration: String,
    /// `digitalData` as enriched before the event.
    pub digital_data: Value,
    /// The event as the first handler received it (after enrichment).
    pub received: Value,
    /// Every handler call, in the order they ran.
    pub calls: Vec<TraceCall>,
    /// The event after the event and product overrides.
    pub after_overrides: Value,
    /// The event after the variables: what the integration maps.
    pub after_variables: Value,
}

/// One handler call of a traced event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceCall {
    /// The handler, e.g. `Flocktory eventEnrichments[0] (spot)`.
    pub handler: String,
    /// The product's path in the event, for product handlers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Whether it ran (a handler stopped for the page does not).
    pub ran: bool,
    /// The paths of the event this call changed, e.g. `ignore` or
    /// `transaction.lineItems[0].product.id`.
    pub changed: Vec<String>,
    /// Set when the event could not be traced after this call (it was not
    /// plain data, or the plan's traces passed their size): `changed` is
    /// then empty, whatever the call did.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub untraced: bool,
    /// The plan step it belongs to; not part of the JSON.
    #[serde(skip)]
    pub step: Option<Step>,
    /// What it returned, wrote to the console and cost; not part of the
    /// JSON (the event's `variables`, `errors` and `logs` have it).
    #[serde(skip)]
    pub outcome: CallOutcome,
    /// The event as this call left it; not part of the JSON.
    #[serde(skip)]
    pub event: Value,
}

impl TraceCall {
    /// Whether the call is an override (event or product).
    pub fn is_override(&self) -> bool {
        matches!(
            self.step,
            Some(Step::Override { .. } | Step::ProductOverride { .. })
        )
    }
}

/// The paths where `after` differs from `before`: keys added, removed or
/// changed, array items by index; `""` for the root itself.
pub fn changed_paths(before: &Value, after: &Value) -> Vec<String> {
    let mut paths = Vec::new();
    diff(before, after, "", &mut paths);
    paths
}

fn diff(before: &Value, after: &Value, at: &str, out: &mut Vec<String>) {
    let join = |key: &str| {
        if at.is_empty() {
            key.to_owned()
        } else {
            format!("{at}.{key}")
        }
    };
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in b {
                match a.get(key) {
                    Some(old) => diff(old, value, &join(key), out),
                    None => out.push(join(key)),
                }
            }
            out.extend(a.keys().filter(|k| !b.contains_key(*k)).map(|k| join(k)));
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (old, new)) in a.iter().zip(b).enumerate() {
                diff(old, new, &format!("{at}[{i}]"), out);
            }
        }
        _ if before == after => {}
        _ => out.push(at.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_are_listed_by_path() {
        let before = json!({"name": "Viewed Page", "user": {"email": "a@b.c"}, "items": [{"id": 1}], "gone": 1});
        let after = json!({"name": "Viewed Page", "user": {"email": "x@b.c"}, "items": [{"id": 2}], "ignore": true});
        assert_eq!(
            changed_paths(&before, &after),
            ["user.email", "items[0].id", "ignore", "gone"]
        );
        assert!(changed_paths(&before, &before).is_empty());
        assert_eq!(
            changed_paths(&json!({"a": [1]}), &json!({"a": [1, 2]})),
            ["a"]
        );
    }
}

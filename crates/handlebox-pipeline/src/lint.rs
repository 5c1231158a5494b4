//! Static checks on handler options that need no JavaScript, for
//! `handlebox check`. What a handler's code does wrong is found by the
//! guest, which parses it (its `lint` module).

use crate::enrich;

/// A warning when an event-name filter names an event the pipeline renames
/// before comparing, so that it never matches.
pub fn event_name(name: &str) -> Option<String> {
    let new = enrich::renamed(name);
    (new != name).then(|| {
        format!("{name:?} never matches: the pipeline renames that event to {new:?} before comparing names")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamed_event_names_are_flagged() {
        assert!(event_name("Viewed Product Category").is_some());
        assert!(event_name("Searched").is_some());
        assert!(event_name("Viewed Product Listing").is_none());
    }
}

//! The Flocktory integration: the options of the admin panel, the properties
//! it wants from `digitalData`, and the `window.flocktory` calls it makes for
//! each event, exactly as SegmentStream's browser library makes them.
//!
//! Offer [`FlocktoryKind`] to a [`handlebox_pipeline::Pipeline`]; the
//! pipeline does everything that is common to integrations.

pub mod calls;
pub mod options;
pub mod script;

use handlebox_pipeline::{
    Configured, Integration, IntegrationKind, IntegrationPage, OptionProblem, Tracked, event_name,
};
use serde_json::{Map, Value, json};

pub use options::Options;

/// The integration's name, as configs and event lists spell it.
pub const NAME: &str = "Flocktory";

/// Builds [`Flocktory`] from a config's options.
pub struct FlocktoryKind;

impl IntegrationKind for FlocktoryKind {
    fn name(&self) -> &'static str {
        NAME
    }

    fn configure(&self, options: &Map<String, Value>) -> Result<Configured, Vec<OptionProblem>> {
        let (options, warnings) = Options::read(options)?;
        Ok(Configured {
            integration: Box::new(Flocktory { options }),
            warnings,
        })
    }
}

/// A configured Flocktory integration.
pub struct Flocktory {
    options: Options,
}

impl Flocktory {
    fn is_exchange_trigger(&self, event_name: &str) -> bool {
        self.options.exchange
            && self
                .options
                .exchange_triggers
                .iter()
                .any(|t| t == event_name)
    }
}

impl Integration for Flocktory {
    fn name(&self) -> &str {
        NAME
    }

    fn loader(&self) -> Option<String> {
        Some(format!(
            "https://api.flocktory.com/v2/loader.js?site_id={}",
            self.options.site_id
        ))
    }

    fn enrichable_props(&self, event_name: &str) -> Vec<&'static str> {
        let mut props: Vec<&'static str> = match event_name {
            "Viewed Page" => vec![
                "user.email",
                "user.isLoggedIn",
                "user.firstName",
                "user.lastName",
                "user.fullName",
                "cart",
            ],
            "Viewed Product Detail" | "Added Product" | "Removed Product" => vec!["product"],
            "Viewed Product Listing" => vec!["listing.categoryId"],
            "Completed Transaction" => vec![
                "user.email",
                "user.firstName",
                "user.lastName",
                "user.fullName",
                "transaction",
            ],
            _ => Vec::new(),
        };
        if self.is_exchange_trigger(event_name) {
            for prop in [
                "user.email",
                "user.firstName",
                "user.lastName",
                "user.fullName",
            ] {
                if !props.contains(&prop) {
                    props.push(prop);
                }
            }
        }
        props
    }

    fn page(&self) -> Box<dyn IntegrationPage + '_> {
        Box::new(FlocktoryPage {
            flocktory: self,
            viewed_page: false,
        })
    }
}

/// Flocktory on one page: remembers whether a `Viewed Page` was tracked, so
/// that later ones call `reInit()` first.
struct FlocktoryPage<'f> {
    flocktory: &'f Flocktory,
    viewed_page: bool,
}

impl IntegrationPage for FlocktoryPage<'_> {
    fn track(&mut self, event: &Value) -> Tracked {
        let name = event_name(event);
        let mut tracked = Tracked::default();
        let keep = |call: Result<Option<Value>, calls::Lost>, tracked: &mut Tracked| match call {
            Ok(Some(call)) => tracked.calls.push(call),
            Ok(None) => {}
            Err(lost) => tracked.warnings.push(lost),
        };
        if self.flocktory.is_exchange_trigger(name) {
            keep(calls::exchange(event, name).map(Some), &mut tracked);
        }
        let mut warnings = Vec::new();
        match name {
            "Viewed Page" => {
                if self.viewed_page {
                    tracked.calls.push(json!(["reInit"]));
                }
                self.viewed_page = true;
                keep(calls::add_data(event, name), &mut tracked);
                keep(calls::update_cart(event, name), &mut tracked);
            }
            "Viewed Product Listing" => keep(
                calls::track_category_view(event, name, &mut warnings).map(Some),
                &mut tracked,
            ),
            "Viewed Product Detail" => keep(
                calls::track_item_view(event, name, &mut warnings).map(Some),
                &mut tracked,
            ),
            "Added Product" => keep(
                calls::add_to_cart(event, name, &mut warnings).map(Some),
                &mut tracked,
            ),
            "Removed Product" => keep(
                calls::remove_from_cart(event, name, &mut warnings).map(Some),
                &mut tracked,
            ),
            "Completed Transaction" if self.flocktory.options.post_checkout => keep(
                calls::postcheckout(event, name, &mut warnings).map(Some),
                &mut tracked,
            ),
            _ => {}
        }
        tracked.warnings.extend(warnings);
        tracked
    }
}

//! The page model and SegmentStream's event pipeline around the sandbox.
//!
//! A page (`digitalData` with its events, plus URL, cookies, globals and the
//! GTM `dataLayer`) is read by [`page::PageInput`]; it becomes the
//! [`handlebox_sandbox::PageData`] the handlers see.

pub mod page;

pub use page::{PageError, PageInput, products_of};

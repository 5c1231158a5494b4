//! The locale data a guest's `Intl` asks for, one piece at a time.
//!
//! The data is Boa's own (`boa_icu_provider`: every CLDR locale of modern
//! coverage, 14 MB), held once by the host process instead of once per
//! instance: a page copies in only what its handlers format with, and a
//! page that formats nothing pays nothing (see the guest's
//! `locale_data.rs`, which holds the other half of the wire format).
//!
//! A request names a data marker by its hash; [`answer`] finds the marker
//! among those Boa's `Intl` uses and looks it up with locale fallback
//! (`ru-RU` → `ru` → `und`), as Boa's bundled provider does.

use std::collections::HashMap;
use std::sync::LazyLock;

use icu_provider::prelude::*;

/// Longest request the host reads: the marker, flags, a locale of at most
/// 255 bytes and its attributes.
pub(crate) const MAX_REQUEST: usize = 1024;

/// Flag bits of a request's second byte.
const DRY: u8 = 1;
const SILENT: u8 = 2;
const PREFIX_MATCH: u8 = 4;

/// Flag bits of an answer's first byte.
const HAS_CHECKSUM: u8 = 1;
const HAS_LOCALE: u8 = 2;

/// Why a request has no answer, as the guest reads it (a positive code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No data for this locale or attributes.
    IdentifierNotFound = 1,
    /// No such marker.
    MarkerNotFound = 2,
    /// The request is malformed.
    InvalidRequest = 3,
    /// Any other failure.
    Other = 4,
}

impl From<DataError> for Refusal {
    fn from(error: DataError) -> Self {
        match error.kind {
            DataErrorKind::IdentifierNotFound => Self::IdentifierNotFound,
            DataErrorKind::MarkerNotFound => Self::MarkerNotFound,
            DataErrorKind::InvalidRequest => Self::InvalidRequest,
            _ => Self::Other,
        }
    }
}

/// Every marker Boa's `Intl` reads, by the hash a request names it with.
static MARKERS: LazyLock<HashMap<[u8; 4], DataMarkerInfo>> = LazyLock::new(|| {
    [
        icu_casemap::provider::MARKERS,
        icu_collator::provider::MARKERS,
        icu_datetime::provider::MARKERS,
        icu_time::provider::MARKERS,
        icu_decimal::provider::MARKERS,
        icu_list::provider::MARKERS,
        icu_locale::provider::MARKERS,
        icu_normalizer::provider::MARKERS,
        icu_plurals::provider::MARKERS,
        icu_segmenter::provider::MARKERS,
        icu_locale_fallback::provider::MARKERS,
        icu_calendar::provider::MARKERS,
    ]
    .into_iter()
    .flatten()
    .map(|marker| (marker.id.hashed().to_bytes(), *marker))
    .collect()
});

/// The answer to a guest's request: flags, the checksum when there is
/// one, the resolved locale when there is one, then the data (postcard).
pub(crate) fn answer(request: &[u8]) -> Result<Vec<u8>, Refusal> {
    let (hash, rest) = request
        .split_first_chunk::<4>()
        .ok_or(Refusal::InvalidRequest)?;
    let (&flags, rest) = rest.split_first().ok_or(Refusal::InvalidRequest)?;
    let (&len, rest) = rest.split_first().ok_or(Refusal::InvalidRequest)?;
    let (locale, attributes) = rest
        .split_at_checked(usize::from(len))
        .ok_or(Refusal::InvalidRequest)?;
    let locale = std::str::from_utf8(locale).map_err(|_| Refusal::InvalidRequest)?;
    let attributes = std::str::from_utf8(attributes).map_err(|_| Refusal::InvalidRequest)?;
    let marker = *MARKERS.get(hash).ok_or(Refusal::MarkerNotFound)?;
    let locale = DataLocale::try_from_str(locale).map_err(|_| Refusal::IdentifierNotFound)?;
    let attributes =
        DataMarkerAttributes::try_from_str(attributes).map_err(|_| Refusal::InvalidRequest)?;
    let mut metadata = DataRequestMetadata::default();
    metadata.silent = flags & SILENT != 0;
    metadata.attributes_prefix_match = flags & PREFIX_MATCH != 0;
    let request = DataRequest {
        id: DataIdentifierBorrowed::for_marker_attributes_and_locale(attributes, &locale),
        metadata,
    };
    let provider = boa_icu_provider::buffer();
    let response;
    let (metadata, bytes): (_, &[u8]) = if flags & DRY != 0 {
        (provider.dry_load_data(marker, request)?, &[])
    } else {
        response = provider.load_data(marker, request)?;
        (response.metadata.clone(), response.payload.get())
    };
    let locale = metadata
        .locale
        .map(|found| resolved(&locale, &found).to_string());
    let mut out = Vec::with_capacity(1 + 8 + 1 + 16 + bytes.len());
    let mut flags = 0;
    if metadata.checksum.is_some() {
        flags |= HAS_CHECKSUM;
    }
    if locale.is_some() {
        flags |= HAS_LOCALE;
    }
    out.push(flags);
    if let Some(checksum) = metadata.checksum {
        out.extend_from_slice(&checksum.to_le_bytes());
    }
    if let Some(locale) = &locale {
        let len = u8::try_from(locale.len()).map_err(|_| Refusal::Other)?;
        out.push(len);
        out.extend_from_slice(locale.as_bytes());
    }
    out.extend_from_slice(bytes);
    Ok(out)
}

/// The locale to report for a request for `requested` answered with the
/// data of `found`. The data is deduplicated: `ru-RU` has no entry of its
/// own because it is `ru`'s. A browser reports `ru-RU` as available all the
/// same (`new Intl.NumberFormat('ru-RU').resolvedOptions().locale`), so a
/// request answered from its own language's data reports the request; one
/// answered from the root locale (`und`) reports `und`, which tells Boa the
/// locale is not available.
fn resolved<'a>(requested: &'a DataLocale, found: &'a DataLocale) -> &'a DataLocale {
    if !found.is_unknown() && found.language == requested.language {
        requested
    } else {
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(marker: DataMarkerInfo, flags: u8, locale: &str) -> Vec<u8> {
        let mut bytes = marker.id.hashed().to_bytes().to_vec();
        bytes.push(flags);
        bytes.push(locale.len() as u8);
        bytes.extend_from_slice(locale.as_bytes());
        bytes
    }

    #[test]
    fn a_region_is_answered_with_its_languages_data() {
        let marker = icu_decimal::provider::DecimalSymbolsV1::INFO;
        let answer = answer(&request(marker, 0, "ru-RU")).expect("data for ru-RU");
        assert_eq!(answer[0] & HAS_LOCALE, HAS_LOCALE);
        let at = if answer[0] & HAS_CHECKSUM != 0 { 9 } else { 1 };
        let len = usize::from(answer[at]);
        assert_eq!(&answer[at + 1..at + 1 + len], b"ru-RU");
        assert!(answer.len() > at + 1 + len, "the symbols' bytes follow");
    }

    /// The languages `docs/integrators.md` promises: Flocktory's markets
    /// and the European ones.
    const PROMISED: [&str; 34] = [
        "ru", "uk", "be", "kk", "uz", "hy", "az", "ka", "en", "de", "fr", "es", "it", "pt", "nl",
        "pl", "cs", "sk", "sl", "hr", "sr", "bg", "ro", "hu", "el", "tr", "sv", "da", "nb", "fi",
        "et", "lv", "lt", "ga",
    ];

    #[test]
    fn every_promised_language_has_number_formats_of_its_own() {
        let markers = [icu_decimal::provider::DecimalSymbolsV1::INFO];
        for language in PROMISED {
            for marker in markers {
                let answer = answer(&request(marker, 0, language))
                    .unwrap_or_else(|e| panic!("{language}: {e:?}"));
                let at = if answer[0] & HAS_CHECKSUM != 0 { 9 } else { 1 };
                let len = usize::from(answer[at]);
                assert_eq!(
                    &answer[at + 1..at + 1 + len],
                    language.as_bytes(),
                    "{language} has its own data"
                );
            }
        }
    }

    #[test]
    fn a_language_without_data_is_reported_as_the_root_locale() {
        let marker = icu_decimal::provider::DecimalSymbolsV1::INFO;
        let answer = answer(&request(marker, DRY, "xx-YY")).expect("the root's data");
        let at = if answer[0] & HAS_CHECKSUM != 0 { 9 } else { 1 };
        let len = usize::from(answer[at]);
        assert_eq!(&answer[at + 1..at + 1 + len], b"und");
    }

    #[test]
    fn a_dry_request_answers_without_data() {
        let marker = icu_decimal::provider::DecimalSymbolsV1::INFO;
        let wet = answer(&request(marker, 0, "de")).expect("data for de");
        let dry = answer(&request(marker, DRY, "de")).expect("metadata for de");
        assert!(dry.len() < wet.len());
    }

    #[test]
    fn bad_requests_are_refused() {
        assert_eq!(answer(&[]), Err(Refusal::InvalidRequest));
        assert_eq!(answer(&[1, 2, 3, 4, 0, 0]), Err(Refusal::MarkerNotFound));
        let marker = icu_decimal::provider::DecimalSymbolsV1::INFO;
        let mut truncated = request(marker, 0, "de");
        truncated.truncate(7);
        assert_eq!(answer(&truncated), Err(Refusal::InvalidRequest));
        assert_eq!(
            answer(&request(marker, 0, "not a locale!")),
            Err(Refusal::IdentifierNotFound)
        );
    }
}

//! Locale data for `Intl`, `toLocaleString` and `localeCompare`, asked of
//! the host one piece at a time.
//!
//! Boa's ICU4X data for every modern CLDR locale is 14 MB. Kept in the
//! guest, it would sit in every instance's memory and count against every
//! page's memory cap; kept in the host, a page copies in only the pieces
//! its handlers format with (the decimal symbols of `ru`, the date patterns
//! of `de`), a few kilobytes, and a page that formats nothing pays nothing.
//!
//! The request and the answer cross as bytes (see [`encode_request`] and
//! [`decode_answer`]); the host's side is `handlebox-sandbox`'s
//! `locale_data` module, which holds the wire format's other half.

use icu_provider::buf::BufferFormat;
use icu_provider::prelude::*;

use crate::host;

/// Flag bits of a request's second byte.
const DRY: u8 = 1;
const SILENT: u8 = 2;
const PREFIX_MATCH: u8 = 4;

/// Flag bits of an answer's first byte.
const HAS_CHECKSUM: u8 = 1;
const HAS_LOCALE: u8 = 2;

/// The host's locale data, as Boa's `Intl` asks for it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct HostLocaleData;

impl HostLocaleData {
    fn ask(
        self,
        marker: DataMarkerInfo,
        req: DataRequest<'_>,
        dry: bool,
    ) -> Result<(DataResponseMetadata, Vec<u8>), DataError> {
        let request = encode_request(marker, req, dry);
        let answer =
            host::locale_data(&request).map_err(|code| error_of(code).with_req(marker, req))?;
        decode_answer(&answer).ok_or_else(|| {
            DataError::custom("the host's locale data answer is malformed").with_req(marker, req)
        })
    }
}

impl DynamicDataProvider<BufferMarker> for HostLocaleData {
    fn load_data(
        &self,
        marker: DataMarkerInfo,
        req: DataRequest<'_>,
    ) -> Result<DataResponse<BufferMarker>, DataError> {
        let (metadata, bytes) = self.ask(marker, req, false)?;
        Ok(DataResponse {
            metadata,
            payload: DataPayload::from_owned_buffer(bytes.into_boxed_slice()),
        })
    }
}

impl DynamicDryDataProvider<BufferMarker> for HostLocaleData {
    fn dry_load_data(
        &self,
        marker: DataMarkerInfo,
        req: DataRequest<'_>,
    ) -> Result<DataResponseMetadata, DataError> {
        self.ask(marker, req, true).map(|(metadata, _)| metadata)
    }
}

/// A request: the marker's hash (4 bytes), flags, the locale's length (one
/// byte) and text, then the marker attributes.
fn encode_request(marker: DataMarkerInfo, req: DataRequest<'_>, dry: bool) -> Vec<u8> {
    let locale = req.id.locale.to_string();
    let attributes = req.id.marker_attributes.as_str();
    let mut flags = 0;
    if dry {
        flags |= DRY;
    }
    if req.metadata.silent {
        flags |= SILENT;
    }
    if req.metadata.attributes_prefix_match {
        flags |= PREFIX_MATCH;
    }
    let mut bytes = Vec::with_capacity(6 + locale.len() + attributes.len());
    bytes.extend_from_slice(&marker.id.hashed().to_bytes());
    bytes.push(flags);
    // Locale identifiers that ICU4X builds are short; a longer one cannot be
    // in the data, and the host answers that it is not found.
    bytes.push(u8::try_from(locale.len()).unwrap_or(u8::MAX));
    bytes.extend_from_slice(locale.as_bytes());
    bytes.extend_from_slice(attributes.as_bytes());
    bytes
}

/// An answer: flags, the checksum (8 bytes, little-endian) when there is
/// one, the resolved locale's length and text when there is one, then the
/// data (postcard).
fn decode_answer(answer: &[u8]) -> Option<(DataResponseMetadata, Vec<u8>)> {
    let (&flags, mut rest) = answer.split_first()?;
    let mut metadata = DataResponseMetadata::default();
    metadata.buffer_format = Some(BufferFormat::Postcard1);
    if flags & HAS_CHECKSUM != 0 {
        let (checksum, tail) = rest.split_first_chunk::<8>()?;
        metadata.checksum = Some(u64::from_le_bytes(*checksum));
        rest = tail;
    }
    if flags & HAS_LOCALE != 0 {
        let (&len, tail) = rest.split_first()?;
        let (locale, tail) = tail.split_at_checked(usize::from(len))?;
        let locale = std::str::from_utf8(locale).ok()?;
        metadata.locale = Some(DataLocale::try_from_str(locale).ok()?);
        rest = tail;
    }
    Some((metadata, rest.to_vec()))
}

/// The data error a host's error code stands for.
fn error_of(code: i32) -> DataError {
    match code {
        1 => DataErrorKind::IdentifierNotFound.into_error(),
        2 => DataErrorKind::MarkerNotFound.into_error(),
        3 => DataErrorKind::InvalidRequest.into_error(),
        _ => DataError::custom("the host has no locale data for this request"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_with_checksum_and_locale_is_read_back() {
        let mut answer = vec![HAS_CHECKSUM | HAS_LOCALE];
        answer.extend_from_slice(&7u64.to_le_bytes());
        answer.push(2);
        answer.extend_from_slice(b"ru");
        answer.extend_from_slice(&[1, 2, 3]);
        let (metadata, bytes) = decode_answer(&answer).expect("a valid answer");
        assert_eq!(metadata.checksum, Some(7));
        assert_eq!(
            metadata.locale.map(|l| l.to_string()).as_deref(),
            Some("ru")
        );
        assert_eq!(metadata.buffer_format, Some(BufferFormat::Postcard1));
        assert_eq!(bytes, [1, 2, 3]);
    }

    #[test]
    fn a_short_answer_is_refused() {
        assert!(decode_answer(&[]).is_none());
        assert!(decode_answer(&[HAS_CHECKSUM, 1, 2]).is_none());
        assert!(decode_answer(&[HAS_LOCALE, 5, b'r']).is_none());
    }
}

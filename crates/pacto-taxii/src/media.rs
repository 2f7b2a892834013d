//! TAXII 2.1 media types and content negotiation.

use axum::http::HeaderMap;
use axum::http::header::{ACCEPT, CONTENT_TYPE};

use crate::TaxiiError;

pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";
/// The media type of STIX 2.0 content (stored as received, served as such).
pub const STIX20_MEDIA_TYPE: &str = "application/stix+json;version=2.0";

/// The media type of a stored object, from the version it was judged by.
pub fn stix_media_type(spec_version: &str) -> &'static str {
    if spec_version == "2.0" { STIX20_MEDIA_TYPE } else { STIX_MEDIA_TYPE }
}

/// A media range's type and its `version` parameter, lower-cased and without spaces.
fn parse(range: &str) -> (String, Option<String>) {
    let mut parts = range.split(';');
    let ty = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let mut version = None;
    for p in parts {
        if let Some((k, v)) = p.split_once('=')
            && k.trim().eq_ignore_ascii_case("version")
        {
            version = Some(v.trim().trim_matches('"').to_string());
        }
    }
    (ty, version)
}

/// 406 unless the Accept header admits TAXII 2.1 JSON. A missing header admits anything.
pub fn check_accept(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let Some(accept) = headers.get(ACCEPT) else { return Ok(()) };
    let accept = accept.to_str().unwrap_or_default();
    let ok = accept.split(',').any(|range| {
        let (ty, version) = parse(range);
        match ty.as_str() {
            "*/*" | "application/*" => true,
            "application/taxii+json" => version.is_none_or(|v| v == "2.1"),
            _ => false,
        }
    });
    if ok {
        Ok(())
    } else {
        Err(TaxiiError::new(
            axum::http::StatusCode::NOT_ACCEPTABLE,
            "Not acceptable",
            format!("this server answers {TAXII_MEDIA_TYPE}; the request accepts only {accept:?}"),
        ))
    }
}

/// 415 unless the request body is TAXII 2.1 JSON.
pub fn check_content_type(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (ty, version) = parse(ct);
    if ty == "application/taxii+json" && version.is_none_or(|v| v == "2.1") {
        Ok(())
    } else {
        Err(TaxiiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            format!("send {TAXII_MEDIA_TYPE}, not {ct:?}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(name: axum::http::HeaderName, v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(name, v.parse().unwrap());
        m
    }

    #[test]
    fn negotiation() {
        assert!(check_accept(&HeaderMap::new()).is_ok());
        assert!(check_accept(&h(ACCEPT, "application/taxii+json;version=2.1")).is_ok());
        assert!(check_accept(&h(ACCEPT, "application/taxii+json; version=2.1")).is_ok());
        assert!(check_accept(&h(ACCEPT, "text/html, */*;q=0.1")).is_ok());
        assert!(check_accept(&h(ACCEPT, "application/taxii+json;version=2.0")).is_err());
        assert!(check_accept(&h(ACCEPT, "application/json")).is_err());
        assert!(check_content_type(&h(CONTENT_TYPE, "application/taxii+json;version=2.1")).is_ok());
        assert!(check_content_type(&h(CONTENT_TYPE, "application/json")).is_err());
        assert!(check_content_type(&HeaderMap::new()).is_err());
    }
}

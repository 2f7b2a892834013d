//! One error type for the API, rendered as a TAXII 2.1 error message.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::media::TAXII_MEDIA_TYPE;

/// An error answered as a TAXII error message (`title`, `description`, `http_status`).
#[derive(Debug, thiserror::Error)]
#[error("{status}: {title}: {description}")]
pub struct TaxiiError {
    pub status: StatusCode,
    pub title: &'static str,
    pub description: String,
    /// Seconds for a `Retry-After` header (429 and 503).
    pub retry_after: Option<u64>,
}

impl TaxiiError {
    pub fn new(status: StatusCode, title: &'static str, description: impl Into<String>) -> Self {
        TaxiiError { status, title, description: description.into(), retry_after: None }
    }
    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", description)
    }
    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", description)
    }
    pub fn forbidden(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", description)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "no credentials, or credentials this server does not accept: send HTTP Basic credentials, an API token \
             (Authorization: Bearer … or Token …), or a partner node's client certificate",
        )
    }
    /// 429: try again in `retry_after` seconds.
    pub fn too_many(description: impl Into<String>, retry_after: u64) -> Self {
        TaxiiError {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests", description)
        }
    }
    pub fn internal(description: &str) -> Self {
        tracing::error!(error = description, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "the server could not complete the request")
    }
}

impl From<pacto_store::StoreError> for TaxiiError {
    fn from(e: pacto_store::StoreError) -> Self {
        TaxiiError::internal(&e.to_string())
    }
}

impl From<pacto_node::NodeError> for TaxiiError {
    fn from(e: pacto_node::NodeError) -> Self {
        use pacto_node::NodeError;
        match e {
            NodeError::NotFound(d) => TaxiiError::not_found(d),
            NodeError::Forbidden(d) => TaxiiError::forbidden(d),
            NodeError::BadRequest(d) => TaxiiError::bad_request(d),
            NodeError::TooMany(d) => TaxiiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests", d),
            NodeError::Conflict { title, description } => TaxiiError::new(StatusCode::CONFLICT, title, description),
            NodeError::Store(e) => e.into(),
            NodeError::Internal(d) => TaxiiError::internal(&d),
        }
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = json!({
            "title": self.title,
            "description": self.description,
            "http_status": self.status.as_u16().to_string(),
        });
        let mut resp = (self.status, body.to_string()).into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_MEDIA_TYPE));
        if self.status == StatusCode::UNAUTHORIZED {
            headers
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"pacto\", charset=\"UTF-8\""));
            headers.append(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"pacto\""));
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

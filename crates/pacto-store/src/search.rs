//! Full-text search over the objects a node keeps ([`crate::SearchStore`]): every string value
//! of an object's latest version (names, descriptions, patterns, observable values, ids and
//! references) is indexed as words, by SQLite's FTS5 and by a PostgreSQL `tsvector` with a GIN
//! index, both kept in the transaction that stores the version.
//!
//! Both backends see the same words: a word is a run of letters and digits (Unicode), compared
//! lower-cased, so `indicator--4b0d5f60-7c8e-…` is the words `indicator`, `4b0d5f60`, `7c8e`, …
//! and `pagos-rapidos.example` is `pagos`, `rapidos`, `example`. A query's words must all
//! occur, each as a word or the start of one.

use serde::Serialize;

/// What to search for, and where. An empty `collections` finds nothing: the caller names the
/// collections it may read, and the store never looks beyond them.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Words every hit holds (as a word or a word's start); empty: every object the filters admit.
    pub text: String,
    /// Collection names to search (the caller's rights).
    pub collections: Vec<String>,
    /// Only these STIX types (any when empty).
    pub types: Vec<String>,
    /// Only objects with provenance from this partner (received by sync, or adopted from it).
    pub partner: Option<String>,
    /// Only versions added at or after this instant (microseconds).
    pub added_since: Option<i64>,
    /// Only versions added before this instant (microseconds).
    pub added_before: Option<i64>,
}

/// One object a search found: its latest version, and the collection it is in.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub collection: String,
    pub id: String,
    pub type_name: String,
    pub date_added: i64,
    pub raw: String,
}

/// The most words a query may have (more is refused, not silently cut).
pub const MAX_WORDS: usize = 32;

/// The words of a text as the index holds them: runs of letters and digits, lower-cased.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// The words of a query, or why it cannot run.
pub(crate) fn query_words(q: &SearchQuery) -> crate::Result<Vec<String>> {
    let w = words(&q.text);
    if w.len() > MAX_WORDS {
        return Err(crate::StoreError::Other(format!(
            "a search may have at most {MAX_WORDS} words; this one has {}",
            w.len()
        )));
    }
    Ok(w)
}

//! TAXII 2.1 query parameters (§3.4): added_after, limit, next, match[id|type|version|spec_version].

use std::collections::HashMap;

use pacto_stix::Timestamp;
use pacto_store::{Query, Versions};

use crate::TaxiiError;

/// A parsed request: the store query (its `limit` is the page size).
#[derive(Debug, Clone)]
pub struct Params {
    pub query: Query,
}

/// Which match[version] applies when the client gives none.
#[derive(Clone, Copy)]
pub enum DefaultVersions {
    Last,
    All,
}

fn list(v: &str) -> Vec<String> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Parse the query string's parameters.
pub fn parse(raw: &HashMap<String, String>, max_page: usize, default: DefaultVersions) -> Result<Params, TaxiiError> {
    let mut query = Query::default();
    if let Some(v) = raw.get("added_after") {
        let t = Timestamp::parse(v).map_err(|e| TaxiiError::bad_request(format!("added_after: {e}")))?;
        query.added_after = Some(t.as_micros());
    }
    if let Some(v) = raw.get("next") {
        // `next` is the date_added key of the last object of the previous page.
        let key: i64 = v
            .parse()
            .map_err(|_| TaxiiError::bad_request(format!("next: {v:?} is not a cursor this server issued")))?;
        query.added_after = Some(query.added_after.map_or(key, |a| a.max(key)));
    }
    let limit = match raw.get("limit") {
        None => max_page,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n > 0 => n.min(max_page),
            _ => return Err(TaxiiError::bad_request(format!("limit: {v:?} is not a positive integer"))),
        },
    };
    query.limit = Some(limit);
    if let Some(v) = raw.get("match[id]") {
        query.ids = list(v);
    }
    if let Some(v) = raw.get("match[type]") {
        query.types = list(v);
    }
    if let Some(v) = raw.get("match[spec_version]") {
        query.spec_versions = list(v);
        if let Some(bad) = query.spec_versions.iter().find(|s| *s != "2.0" && *s != "2.1") {
            return Err(TaxiiError::bad_request(format!("match[spec_version]: {bad:?} is not 2.0 or 2.1")));
        }
    }
    query.versions = match raw.get("match[version]") {
        None => match default {
            DefaultVersions::Last => Versions::last(),
            DefaultVersions::All => Versions::all(),
        },
        Some(v) => {
            let mut sel = Versions::none();
            for item in list(v) {
                match item.as_str() {
                    "all" => sel.all = true,
                    "first" => sel.first = true,
                    "last" => sel.last = true,
                    ts => {
                        let t = Timestamp::parse(ts).map_err(|e| {
                            TaxiiError::bad_request(format!(
                                "match[version]: {ts:?} is not first, last, all or a timestamp ({e})"
                            ))
                        })?;
                        sel.at.push(pacto_store::version_key_of(&t));
                        sel.at_added.push(t.as_micros());
                    }
                }
            }
            sel
        }
    };
    Ok(Params { query })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Result<Params, TaxiiError> {
        let raw = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        parse(&raw, 100, DefaultVersions::Last)
    }

    #[test]
    fn filters() {
        let q = p(&[
            ("match[type]", "indicator,malware"),
            ("limit", "500"),
            ("match[version]", "first,2016-01-01T00:00:00Z"),
        ])
        .unwrap();
        assert_eq!(q.query.types, vec!["indicator", "malware"]);
        assert_eq!(q.query.limit, Some(100), "limited to the server's page size");
        assert!(q.query.versions.first && !q.query.versions.last && q.query.versions.at.len() == 1);
        assert!(p(&[]).unwrap().query.versions.last);
        assert!(p(&[("limit", "0")]).is_err());
        assert!(p(&[("limit", "x")]).is_err());
        assert!(p(&[("added_after", "yesterday")]).is_err());
        assert!(p(&[("match[version]", "newest")]).is_err());
        assert!(p(&[("match[spec_version]", "2.2")]).is_err());
        assert_eq!(p(&[("next", "42"), ("added_after", "1970-01-01T00:00:00Z")]).unwrap().query.added_after, Some(42));
    }
}

//! The rules that tie several properties of one object together, and the forms of values
//! that the property tables cannot say.

use pacto_pattern::Syntax;
use serde_json::{Map, Value};

use super::SpecVersion;
use super::checker::Checker;
use super::forms::{is_addr_spec, is_cpe23, is_domain_name, is_language_tag, is_mac48, json_type};
use crate::schema::{self, Kind};
use crate::timestamp::Timestamp;

impl Checker<'_> {
    /// Rules that tie properties together.
    pub(super) fn cross(&mut self, ty: &str, kind: Kind, m: &Map<String, Value>) {
        let ts = |k: &str| m.get(k).and_then(Value::as_str).and_then(|s| Timestamp::parse(s).ok());
        let has = |k: &str| m.contains_key(k);
        if kind != Kind::Sco {
            if let (Some(c), Some(md)) = (ts("created"), ts("modified"))
                && md < c
            {
                self.with_key("modified", |c| {
                    c.err("modified-before-created", "modified must be later than or equal to created".into())
                });
            }
            if self.version == SpecVersion::V21 {
                for k in ["created", "modified"] {
                    if let Some(t) = ts(k)
                        && t.frac_digits < 3
                    {
                        self.with_key(k, |c| {
                            c.err(
                                "timestamp-precision",
                                format!("{k} must be given to at least millisecond precision (three fraction digits)"),
                            )
                        });
                    }
                }
            }
        }
        let mut order = |first: &str, last: &str, strict: bool| {
            if let (Some(a), Some(b)) = (ts(first), ts(last))
                && (b < a || strict && b == a)
            {
                let rel = if strict { "later than" } else { "later than or equal to" };
                self.with_key(last, |c| c.err("timestamp-order", format!("{last} must be {rel} {first}")));
            }
        };
        match ty {
            "campaign" | "intrusion-set" | "threat-actor" | "infrastructure" | "malware" | "sighting" => {
                order("first_seen", "last_seen", false)
            }
            "observed-data" => order("first_observed", "last_observed", false),
            "indicator" => order("valid_from", "valid_until", true),
            "relationship" => order("start_time", "stop_time", true),
            "network-traffic" => order("start", "end", false),
            "malware-analysis" => order("analysis_started", "analysis_ended", false),
            _ => {}
        }
        let v21 = self.version == SpecVersion::V21;
        let mut need_one = |props: &[&str], what: &str| {
            if !props.iter().any(|p| has(p)) {
                self.err("required-one-of", format!("{ty} objects require at least one of {props:?}{what}"));
            }
        };
        match ty {
            "malware-analysis" => need_one(&["result", "analysis_sco_refs"], ""),
            "file" => need_one(&["hashes", "name"], ""),
            "network-traffic" => need_one(&["src_ref", "dst_ref"], ""),
            "location" => need_one(&["region", "country", "latitude"], " (latitude with longitude)"),
            "observed-data" if v21 => need_one(&["objects", "object_refs"], ""),
            "artifact" => need_one(&["payload_bin", "url"], ""),
            "x-firearm" => need_one(&["manufacturer", "model", "serial_number"], ""),
            "process" | "x509-certificate" | "user-account" | "windows-registry-key" => {
                let own = m.keys().any(|k| {
                    !matches!(
                        k.as_str(),
                        "type" | "id" | "spec_version" | "object_marking_refs" | "granular_markings" | "defanged"
                    )
                });
                if !own {
                    self.err("required-one-of", format!("{ty} objects must have at least one property of their own"));
                }
            }
            _ => {}
        }
        let mut exclusive = |a: &str, b: &str| {
            if has(a) && has(b) {
                self.with_key(b, |c| c.err("mutually-exclusive", format!("{a} and {b} must not both be present")));
            }
        };
        match ty {
            "observed-data" => exclusive("objects", "object_refs"),
            "artifact" => exclusive("payload_bin", "url"),
            _ => {}
        }
        match ty {
            "location" => {
                if has("latitude") != has("longitude") {
                    self.err("location-coordinates", "latitude and longitude must be given together".into());
                }
                if has("precision") && !(has("latitude") && has("longitude")) {
                    self.with_key("precision", |c| {
                        c.err("location-coordinates", "precision requires latitude and longitude".into())
                    });
                }
            }
            "malware" if v21 && m.get("is_family") == Some(&Value::Bool(true)) && !has("name") => {
                self.err("required-property", "malware with is_family true requires name".into());
            }
            "artifact" if has("url") && !has("hashes") => {
                self.err("required-property", "an artifact with a url requires hashes".into());
            }
            "email-message" => match m.get("is_multipart") {
                Some(Value::Bool(true)) if has("body") => self.with_key("body", |c| {
                    c.err("email-multipart", "a multipart email message must not have body; use body_multipart".into())
                }),
                Some(Value::Bool(false)) if has("body_multipart") => self.with_key("body_multipart", |c| {
                    c.err("email-multipart", "body_multipart is only allowed when is_multipart is true".into())
                }),
                _ => {}
            },
            "network-traffic" if m.get("is_active") == Some(&Value::Bool(true)) && has("end") => {
                self.with_key("end", |c| {
                    c.err(
                        "network-traffic-active",
                        "an active network-traffic (is_active true) must not have end".into(),
                    )
                });
            }
            "x-firearm" => self.firearm(m),
            "marking-definition" => self.marking_definition(m),
            "language-content" => self.language_content(m),
            "extension-definition" if !has("created_by_ref") => {
                self.err("required-property", "extension-definition objects require created_by_ref".into());
            }
            _ => {}
        }
        self.formats(ty, m);
    }

    /// Value forms and dependencies that the property tables cannot say.
    pub(super) fn formats(&mut self, ty: &str, m: &Map<String, Value>) {
        let has = |k: &str| m.contains_key(k);
        let text = |k: &str| m.get(k).and_then(Value::as_str);
        match ty {
            "relationship" => {
                if let Some(t) = text("relationship_type")
                    && !(t.len() >= 3 && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
                {
                    self.with_key("relationship_type", |c| {
                        c.err(
                            "relationship-type-form",
                            format!("relationship_type {t:?} must be 3 or more characters of a-z, 0-9 and '-'"),
                        )
                    });
                }
            }
            "indicator" if text("pattern_type") == Some("stix") || self.version == SpecVersion::V20 => {
                let syntax = if self.version == SpecVersion::V20 { Syntax::V20 } else { Syntax::V21 };
                if let Some(p) = text("pattern")
                    && let Err(e) = pacto_pattern::check(p, syntax)
                {
                    self.with_key("pattern", |c| c.err("pattern-syntax", format!("not a STIX pattern: {e}")));
                }
            }
            "artifact" if has("decryption_key") && !has("encryption_algorithm") => {
                self.with_key("decryption_key", |c| {
                    c.err("co-constraint", "decryption_key requires encryption_algorithm".into())
                });
            }
            "file" if has("name_enc") && !has("name") => {
                self.with_key("name_enc", |c| {
                    c.err("encoding-property", "name_enc must not be present without name".into())
                });
            }
            "domain-name" => {
                if let Some(v) = text("value")
                    && !is_domain_name(v)
                {
                    self.with_key("value", |c| c.err("value-format", format!("{v:?} is not a domain name (RFC 1034)")));
                }
            }
            "email-addr" => {
                if let Some(v) = text("value")
                    && !is_addr_spec(v)
                {
                    self.with_key("value", |c| c.err("value-format", format!("{v:?} is not a bare e-mail address (addr-spec, RFC 5322); put any display name in display_name")));
                }
            }
            "mac-addr" => {
                if let Some(v) = text("value")
                    && !is_mac48(v)
                {
                    self.with_key("value", |c| {
                        c.err(
                            "value-format",
                            format!("{v:?} is not a lowercase, colon-delimited MAC-48 address with leading zeros"),
                        )
                    });
                }
            }
            "software" => {
                if let Some(v) = text("cpe")
                    && !is_cpe23(v)
                {
                    self.with_key("cpe", |c| c.err("value-format", format!("{v:?} is not a CPE 2.3 formatted string")));
                }
            }
            "windows-registry-key" => {
                if let Some(v) = text("key")
                    && !v.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("HKEY_"))
                {
                    self.with_key("key", |c| {
                        c.err(
                            "value-format",
                            format!("{v:?} must be the full key including its hive spelled out (HKEY_...)"),
                        )
                    });
                }
                if let Some(Value::Array(values)) = m.get("values") {
                    for (i, val) in values.iter().enumerate() {
                        if val.as_object().is_some_and(Map::is_empty) {
                            self.with_key("values", |c| {
                                c.with_idx(i, |c| {
                                    c.err("required-one-of", "a registry value must have at least one property".into())
                                })
                            });
                        }
                    }
                }
            }
            "x509-certificate" if m.get("x509_v3_extensions").and_then(Value::as_object).is_some_and(Map::is_empty) => {
                self.with_key("x509_v3_extensions", |c| {
                    c.err("required-one-of", "x509_v3_extensions must have at least one property".into())
                });
            }
            "email-message" => {
                if let Some(Value::Array(parts)) = m.get("body_multipart") {
                    for (i, part) in parts.iter().enumerate() {
                        if part.is_object() && part.get("body").is_none() && part.get("body_raw_ref").is_none() {
                            self.with_key("body_multipart", |c| {
                                c.with_idx(i, |c| {
                                    c.err("required-one-of", "a MIME part needs body or body_raw_ref".into())
                                })
                            });
                        }
                    }
                }
            }
            "extension-definition" if has("extension_properties") => {
                let toplevel = m
                    .get("extension_types")
                    .and_then(Value::as_array)
                    .is_some_and(|t| t.iter().any(|t| t.as_str() == Some("toplevel-property-extension")));
                if !toplevel {
                    self.with_key("extension_properties", |c| {
                        c.err("extension", "extension_properties is only for a toplevel-property-extension".into())
                    });
                }
            }
            _ => {}
        }
    }

    pub(super) fn marking_definition(&mut self, m: &Map<String, Value>) {
        let dt = m.get("definition_type");
        let def = m.get("definition");
        if dt.is_none() && def.is_none() && !m.contains_key("extensions") {
            self.err(
                "required-one-of",
                "a marking-definition needs definition_type and definition, or an extension".into(),
            );
        }
        let id = m.get("id").and_then(Value::as_str).unwrap_or_default();
        match dt.and_then(Value::as_str) {
            Some(t @ ("tlp" | "statement")) => match def {
                None => self.err("required-property", format!("definition_type {t:?} requires definition")),
                Some(d) => self.with_key("definition", |c| match (t, d) {
                    ("tlp", Value::Object(dm)) => match dm.get("tlp").and_then(Value::as_str) {
                        Some("white" | "green" | "amber" | "red") => {}
                        _ => c.err(
                            "closed-vocab",
                            "a tlp definition is {\"tlp\": \"white\"|\"green\"|\"amber\"|\"red\"}".into(),
                        ),
                    },
                    ("statement", Value::Object(dm)) => {
                        if !dm.get("statement").is_some_and(Value::is_string) {
                            c.err("required-property", "a statement definition is {\"statement\": \"...\"}".into());
                        }
                    }
                    (_, other) => {
                        c.err("property-type", format!("definition must be an object, found {}", json_type(other)))
                    }
                }),
            },
            Some(other) => self.with_key("definition_type", |c| {
                c.warn("open-vocab", format!("definition_type {other:?} is neither tlp nor statement"))
            }),
            None if def.is_some() => self.err("required-property", "definition requires definition_type".into()),
            None => {}
        }
        // The TLP 1.0 marking definitions are the four instances of §7.2.1.4, exactly.
        let tlp1 = TLP1.iter().find(|(tid, _)| *tid == id);
        if dt.and_then(Value::as_str) == Some("tlp") || tlp1.is_some() {
            let level = def.and_then(|d| d.get("tlp")).and_then(Value::as_str);
            match tlp1 {
                None => self.err(
                    "tlp-marking",
                    "a tlp marking definition must be one of the four predefined TLP 1.0 instances (use their ids)"
                        .into(),
                ),
                Some((_, expected)) => {
                    if level != Some(expected)
                        || m.get("created").and_then(Value::as_str) != Some("2017-01-20T00:00:00.000Z")
                        || dt.and_then(Value::as_str) != Some("tlp")
                    {
                        self.err("tlp-marking", format!("{id} is the predefined TLP:{} marking; it must be reproduced exactly (definition_type tlp, created 2017-01-20T00:00:00.000Z, definition {{\"tlp\": \"{expected}\"}})", expected.to_ascii_uppercase()));
                    }
                }
            }
        }
        if m.get("object_marking_refs")
            .and_then(Value::as_array)
            .is_some_and(|refs| refs.iter().any(|r| r.as_str() == Some(id)))
        {
            self.with_key("object_marking_refs", |c| {
                c.err("marking-self-reference", "a marking definition must not mark itself".into())
            });
        }
        if m.contains_key("modified") || m.contains_key("revoked") {
            self.warn("marking-versioned", "marking definitions cannot be versioned (no modified or revoked)".into());
        }
        if let Some(Value::Object(exts)) = m.get("extensions")
            && let Some(Value::Object(tlp)) = exts.get(schema::TLP2_EXTENSION_ID)
        {
            self.with_key("extensions", |c| {
                c.with_key(schema::TLP2_EXTENSION_ID, |c| {
                    match tlp.get("tlp_2_0").and_then(Value::as_str).and_then(crate::Tlp::parse) {
                        Some(level) => {
                            let official = crate::Tlp::ALL.iter().find(|t| t.marking_id() == id);
                            if official.is_some_and(|t| *t != level) {
                                c.err(
                                    "tlp-marking",
                                    format!(
                                        "{id} is the TLP 2.0 {} marking, not {}",
                                        official.map_or("", |t| t.as_str()),
                                        level.as_str()
                                    ),
                                );
                            }
                        }
                        None => {
                            c.err("closed-vocab", "tlp_2_0 must be clear, green, amber, amber+strict or red".into())
                        }
                    }
                })
            });
        }
    }

    /// pacto's x-firearm: it carries its extension (§7.3: an object of a new type names the
    /// extension definition that defines it), and its maker and serial have canonical forms.
    fn firearm(&mut self, m: &Map<String, Value>) {
        let ext = crate::firearm::EXTENSION_ID;
        match m.get("extensions").and_then(Value::as_object).and_then(|e| e.get(ext)) {
            None => self.err(
                "extension",
                format!("an x-firearm must carry its extension definition in extensions: {{\"{ext}\": {{\"extension_type\": \"new-sco\"}}}}"),
            ),
            Some(e) if e.get("extension_type").and_then(Value::as_str) != Some("new-sco") => {
                self.with_key("extensions", |c| {
                    c.with_key(ext, |c| c.err("extension", "the x-firearm extension's extension_type must be \"new-sco\"".into()))
                })
            }
            Some(_) => {}
        }
        if let Some(Value::String(s)) = m.get("serial_number")
            && let Err(e) = pacto_psi::firearm::canonical_serial(s)
        {
            self.with_key("serial_number", |c| {
                c.warn("firearm-serial", format!("{e}: it cannot be matched privately or give the firearm's id"))
            });
        }
        if let Some(Value::String(s)) = m.get("manufacturer")
            && let Err(e) = pacto_psi::firearm::canonical_manufacturer(s)
        {
            self.with_key("manufacturer", |c| {
                c.warn("firearm-manufacturer", format!("{e}: it cannot be matched privately or give the firearm's id"))
            });
        }
    }

    pub(super) fn language_content(&mut self, m: &Map<String, Value>) {
        let Some(contents) = m.get("contents") else {
            return;
        };
        self.with_key("contents", |c| {
            let Value::Object(langs) = contents else {
                c.err("property-type", format!("contents must be a dictionary, found {}", json_type(contents)));
                return;
            };
            if langs.is_empty() {
                c.err("empty-dictionary", "contents must have at least one language".into());
            }
            for (lang, v) in langs {
                c.with_key(lang, |c| {
                    if !is_language_tag(lang) {
                        c.err("language-tag", format!("{lang:?} is not an RFC 5646 language tag"));
                    }
                    if !v.is_object() {
                        c.err(
                            "property-type",
                            format!("each language's contents must be a dictionary, found {}", json_type(v)),
                        );
                    }
                });
            }
        });
    }
}

/// The TLP 1.0 marking definitions of §7.2.1.4 and their levels.
pub(super) const TLP1: [(&str, &str); 4] = [
    ("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "white"),
    ("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green"),
    ("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber"),
    ("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red"),
];

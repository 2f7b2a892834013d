//! `x-firearm`: a firearm as a STIX cyber-observable object, defined by pacto's extension
//! definition (a `new-sco` extension, published in `extensions/x-firearm.json` with its JSON
//! schema). The validator knows it like a built-in type ([`crate::schema`]); this module holds
//! what is particular to it: the extension's id, the firearm-type vocabulary, and the
//! deterministic id.
//!
//! **The id.** A serial number identifies a weapon only with its maker, and both are written in
//! many ways. When `manufacturer` and `serial_number` are both present and both have a
//! canonical form (pacto-psi's firearm rule, the same that private matching uses), the id is
//! `x-firearm--` + UUIDv5 in the STIX SCO namespace (`00abedb4-aa42-466c-9c01-fed23315a9b7`)
//! over the JCS canonical JSON of `{"manufacturer": <canonical maker>, "serial_number":
//! <canonical serial>}`: `Colt's Mfg Co` with `lw-12345` and `COLT` with `LW12345` are one
//! object. Otherwise (no maker, no serial, an illegible or obliterated serial) the id is a
//! version 4 UUID: two records that do not identify a weapon must never merge.

use serde_json::{Value, json};

use pacto_psi::firearm::{canonical_manufacturer, canonical_serial};

/// The object type.
pub const TYPE: &str = "x-firearm";

/// The id of pacto's extension definition for `x-firearm` (version 1.0.0).
pub const EXTENSION_ID: &str = "extension-definition--a10dd71d-96e5-4b65-b470-c2a516a8ea61";

/// The extension definition, as published (a bundle of the pacto identity and the
/// extension-definition object).
pub const DEFINITION: &str = include_str!("../extensions/x-firearm.json");

/// The extension's JSON schema.
pub const SCHEMA: &str = include_str!("../extensions/x-firearm.schema.json");

/// `firearm-type-ov`, an open vocabulary: other values are allowed and draw a warning.
///
/// - `pistol`: a handgun whose chamber is part of the barrel (semi-automatic or single-shot);
/// - `revolver`: a handgun with a revolving cylinder of chambers;
/// - `derringer`: a small multi-barrel or single-shot pocket handgun;
/// - `rifle`: a shoulder arm with a rifled barrel;
/// - `carbine`: a short rifle;
/// - `shotgun`: a smooth-bore shoulder arm firing shot or slugs;
/// - `submachine-gun`: a fully automatic arm firing pistol cartridges;
/// - `machine-gun`: a fully automatic arm firing rifle cartridges;
/// - `grenade-launcher`: a launcher of grenades, stand-alone or mounted;
/// - `combination-gun`: rifled and smooth barrels together;
/// - `receiver`: a frame or receiver alone (in several laws, the part that *is* the firearm);
/// - `improvised`: home-made or converted, with no maker's marks (an "arma hechiza");
/// - `unknown`: not determined.
pub const FIREARM_TYPE_OV: &[&str] = &[
    "pistol",
    "revolver",
    "derringer",
    "rifle",
    "carbine",
    "shotgun",
    "submachine-gun",
    "machine-gun",
    "grenade-launcher",
    "combination-gun",
    "receiver",
    "improvised",
    "unknown",
];

/// The STIX 2.1 namespace for SCO identifiers (§2.9).
const SCO_NAMESPACE: uuid::Uuid = uuid::uuid!("00abedb4-aa42-466c-9c01-fed23315a9b7");

/// The deterministic id of a firearm with this maker and serial, or `None` when either has no
/// canonical form (then the object's id is a version 4 UUID).
pub fn deterministic_id(manufacturer: &str, serial_number: &str) -> Option<String> {
    let m = canonical_manufacturer(manufacturer).ok()?;
    let s = canonical_serial(serial_number).ok()?;
    // JCS (RFC 8785) of two string members: names in code-point order, no white space, and
    // the values are plain ASCII after canonicalisation, so serde_json writes them as JCS does.
    let canonical = json!({"manufacturer": m, "serial_number": s});
    let text =
        format!("{{\"manufacturer\":{},\"serial_number\":{}}}", canonical["manufacturer"], canonical["serial_number"]);
    Some(format!("{TYPE}--{}", uuid::Uuid::new_v5(&SCO_NAMESPACE, text.as_bytes())))
}

/// The deterministic id of an `x-firearm` object, when its properties give one.
pub fn id_of(obj: &Value) -> Option<String> {
    deterministic_id(obj.get("manufacturer")?.as_str()?, obj.get("serial_number")?.as_str()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers, computed apart from this code (Python's uuid.uuid5 over the same text).
    #[test]
    fn known_answers() {
        assert_eq!(
            deterministic_id("Colt's Manufacturing Company", "LW 12345").as_deref(),
            Some("x-firearm--f39ddd91-d747-5a8d-89ee-e92d6ee936e7")
        );
        assert_eq!(deterministic_id("COLT", "lw-12345"), deterministic_id("Colt Mfg", "S/N: LW12345"));
        assert_eq!(
            deterministic_id("GLOCK Ges.m.b.H.", "BSXK123").as_deref(),
            Some("x-firearm--352a89f5-3d37-5b36-b52e-c084af54b16f")
        );
        assert_eq!(
            deterministic_id("Sturm, Ruger & Co.", "690-12O45").as_deref(),
            Some("x-firearm--9d73156b-9e62-532b-8e62-a7d3f71efc37")
        );
        assert_ne!(deterministic_id("Colt", "12345"), deterministic_id("Ruger", "12345"));
        assert_eq!(deterministic_id("Colt", "LW*12345"), None);
        assert_eq!(deterministic_id("--", "LW12345"), None);
        assert_eq!(id_of(&json!({"type": "x-firearm", "serial_number": "LW12345"})), None);
    }
}

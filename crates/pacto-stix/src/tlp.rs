//! Traffic Light Protocol markings: the five TLP 2.0 marking definitions (the OASIS TLP 2.0
//! extension) built in, and the four TLP 1.0 definitions of STIX 2.1 §7.2.1.4 mapped onto them.

use serde_json::{Value, json};

use crate::schema::TLP2_EXTENSION_ID;

/// A TLP 2.0 level, ordered from least to most restrictive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

impl Tlp {
    pub const ALL: [Tlp; 5] = [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict, Tlp::Red];

    /// The identifier of this level's TLP 2.0 marking definition.
    pub fn marking_id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }

    /// The value of the extension's `tlp_2_0` property, and the level's common name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// Parse a level name (`clear`, `TLP:AMBER+STRICT`, `white` for TLP 1.0's clear...).
    pub fn parse(s: &str) -> Option<Tlp> {
        let s = s.trim().to_ascii_lowercase();
        let s = s.strip_prefix("tlp:").unwrap_or(&s);
        match s {
            "clear" | "white" => Some(Tlp::Clear),
            "green" => Some(Tlp::Green),
            "amber" => Some(Tlp::Amber),
            "amber+strict" => Some(Tlp::AmberStrict),
            "red" => Some(Tlp::Red),
            _ => None,
        }
    }

    /// The level a marking-definition id stands for: TLP 2.0 ids, and TLP 1.0 ids mapped to
    /// their 2.0 counterparts (white → clear).
    pub fn from_marking_ref(id: &str) -> Option<Tlp> {
        match id {
            "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" => Some(Tlp::Clear),
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" => Some(Tlp::Green),
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" => Some(Tlp::Amber),
            "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" => Some(Tlp::Red),
            _ => Tlp::ALL.into_iter().find(|t| t.marking_id() == id),
        }
    }

    /// The most restrictive TLP level among marking refs, if any is a TLP marking.
    pub fn of_refs<'a>(refs: impl IntoIterator<Item = &'a str>) -> Option<Tlp> {
        refs.into_iter().filter_map(Tlp::from_marking_ref).max()
    }

    /// This level's TLP 2.0 marking-definition object, as OASIS publishes it.
    pub fn marking_definition(self) -> Value {
        let name = format!("TLP:{}", self.as_str().to_ascii_uppercase());
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.marking_id(),
            "created": "2022-10-01T00:00:00.000Z",
            "name": name,
            "extensions": {
                TLP2_EXTENSION_ID: {
                    "extension_type": "property-extension",
                    "tlp_2_0": self.as_str()
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{Location, validate_object};

    #[test]
    fn built_in_definitions_are_valid() {
        for t in Tlp::ALL {
            let mut out = Vec::new();
            validate_object(&t.marking_definition(), Location::default(), &mut out);
            assert_eq!(out, vec![], "{t:?}");
            assert_eq!(Tlp::from_marking_ref(t.marking_id()), Some(t));
            assert_eq!(Tlp::parse(&format!("TLP:{}", t.as_str())), Some(t));
        }
    }

    #[test]
    fn most_restrictive_wins() {
        let refs = [
            Tlp::Green.marking_id(),
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
            "marking-definition--00000000-0000-4000-8000-000000000000",
        ];
        assert_eq!(Tlp::of_refs(refs), Some(Tlp::Amber));
        assert_eq!(Tlp::of_refs([]), None);
        assert!(Tlp::Red > Tlp::AmberStrict && Tlp::AmberStrict > Tlp::Amber);
    }
}

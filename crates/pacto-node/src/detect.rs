//! Detection on a node: what `pacto detect setup` makes beside the setup itself (the
//! matching runs in `pacto_detect::Hunter`).

use pacto_store::{Collection, Incoming, ObjectStore, Query};

use crate::NodeError;

/// The identity of the organisation named `name`, which the sightings in `sightings` refer to
/// as their sighter: stored in that collection unless it is there already. Returns its id
/// (derived from the name, so the same name always gives the same identity).
pub fn sighting_identity<S: ObjectStore + ?Sized>(
    s: &mut S,
    sightings: &Collection,
    name: &str,
) -> Result<String, NodeError> {
    let id = pacto_detect::identity(name, &pacto_stix::Timestamp::now().format(3));
    let object = pacto_stix::StixObject::from_value(id).map_err(|e| NodeError::Internal(e.to_string()))?;
    let existing = s.page(sightings, &Query { ids: vec![object.id().to_string()], ..Default::default() })?;
    if existing.objects.is_empty() {
        s.add_batch(sightings, &[Incoming::new(&object, pacto_stix::SpecVersion::V21)])?;
    }
    Ok(object.id().to_string())
}

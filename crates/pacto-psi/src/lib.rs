//! `pacto-psi`: two nodes learn which items they hold in common, and nothing else.
//!
//! ECDH-based private set intersection on ristretto255. Items are normalised by a declared rule
//! ([`Normalizer`]), hashed to the group as RFC 9380 describes (`expand_message_xmd` with
//! SHA-512, then the ristretto255 map of RFC 9496), and blinded by secret scalars:
//!
//! 1. The querier picks a fresh secret `a` and sends `H(x)·a` for each of its items ([`Query`]).
//! 2. The holder, with the secret `b` of its set version, answers `H(x)·a·b` for each, and its
//!    own items encoded once per set version as short tags of `H(y)·b` ([`HolderSet`]).
//! 3. The querier removes `a` and looks each `H(x)·b` up among the tags.
//!
//! In the size-only mode the holder shuffles its answers, so the querier learns how many of its
//! items match but not which.
//!
//! Security model (semi-honest: both follow the protocol): the querier learns the intersection
//! (or its size) and the size of the holder's set; the holder learns the size of the query.
//! Neither learns any other item. Messages never carry an item in the clear. A holder's tags are
//! the same for every query against one set version, so a querier can tell whether the set
//! changed between queries; agreements bound query sizes and rates against probing.

mod hash;
mod normalize;
mod protocol;
pub mod wire;

pub use normalize::{NormalizeError, Normalizer};
pub use protocol::{Answer, HolderSet, Mode, Outcome, PsiError, Querier, Query, TAG_BYTES, hash_to_group};

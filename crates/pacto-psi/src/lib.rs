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
//! The size-only mode is a different exchange, so that a querier who deviates (a scalar per
//! item, say) still learns only the count:
//!
//! 1. The holder hands out its set blinded once per version, `W_j = H(y_j)·b` ([`BlindedSet`]).
//! 2. The querier sends `H(x_i)·a` and the tags of `W_j·a`, both shuffled ([`count_query`]).
//! 3. The holder blinds each `H(x_i)·a` by `b`, counts how many tags are among the querier's,
//!    and answers only that number ([`HolderSet::count`]).
//!
//! Neither side ever holds a value with only the other side's blind removed.
//!
//! Labelled matching ([`labelled`]) is the intersection exchange with a payload per holder
//! item, sealed under a key derived from `H(y)·b` and the item: the querier opens the payloads
//! of its matching items only. [`payload::project`] keeps the values of the fields an agreement allows.
//!
//! Security model: in intersection mode, semi-honest (both follow the protocol): the querier
//! learns the intersection and the size of the holder's set; the holder learns the size of the
//! query. In size-only mode the holder is protected against a querier who deviates (it learns
//! the count of a sub-query it chose, never which items); the querier is protected against a
//! holder who follows the protocol (the holder learns the count). Messages never carry an item
//! in the clear. Agreements bound query sizes and rates against probing; see docs/psi.md.

mod hash;
pub mod labelled;
pub mod noise;
mod normalize;
pub mod payload;
mod protocol;
pub mod wire;

pub use labelled::{LabelledAnswer, LabelledQuerier, LabelledQuery, LabelledRecords, LabelledSet, Trace};
pub use normalize::{NormalizeError, Normalizer, firearm};
pub use protocol::{
    Answer, BlindedSet, CheckedCount, CheckedQuery, CountAnswer, CountQuery, HolderSet, Mode, Outcome, PsiError,
    Querier, Query, TAG_BYTES, count_query, hash_to_group,
};

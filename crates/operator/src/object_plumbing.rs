//! What was the grab-bag of object writes, kept only as the paths `engine.rs` still uses. Each
//! item has its own home now: patches in `object_patch`, the finalizer in `finalizer`, Events
//! in `events`, spec digests in `digest`, statuses in `status_patch`. Delete this file once
//! `engine.rs` imports from those.

pub use crate::digest::json_hash;
pub use crate::events::{publish_event, recorder};
pub use crate::finalizer::remove_finalizer;
pub use crate::object_patch::{patch_metadata, patch_object, patch_status};
pub use crate::status_patch::{record_retryable_error, status_json, status_matches};

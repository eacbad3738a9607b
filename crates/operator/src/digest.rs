//! Digests of specs, recorded in annotations to tell "has this spec changed since" without
//! keeping the spec itself.

use serde_json::Value;

/// A short stable digest of a JSON value (hex of the first 16 bytes of its SHA-256), for
/// "has this spec changed" comparisons stored in annotations.
pub fn json_hash(value: &Value) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(value.to_string().as_bytes())[..16])
}

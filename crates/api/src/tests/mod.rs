//! Unit tests of the generated CRDs and of the types' serde shape.

mod crd_files;
mod round_trip;
mod schema;

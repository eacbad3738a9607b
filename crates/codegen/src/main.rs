//! The generator of the model-driven kinds (issue 23): reads `api-models/` and the kinds'
//! configuration, writes the generated sources. Work in progress.

fn main() {}

//! No code: this package holds the tests of the release artefacts (`tests/release.rs`) — the
//! Helm charts under `deploy/charts`, the installers generated into `release/`, `samples/`, the
//! `Dockerfile`, the krew manifest and `scripts/sandbox` — run against a real kube-apiserver.

//! The control-plane tools are exactly what `tools/*/go.mod` pins, and say so: what each binary
//! reports (`--version`), the module versions Go recorded in it (`go version -m`) and
//! `scripts/tools versions` must agree. A binary built from other sources, or stamped with a
//! version it was not built from, fails here.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use sagemaker_k8s_testenv::{repo_root, tool};

/// Runs a command and returns its stdout; panics with its stderr when it fails.
fn run(program: &Path, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("running {} {args:?}: {error}", program.display()));
    assert!(
        output.status.success(),
        "{} {args:?} failed ({}): {}",
        program.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `scripts/tools versions`: tool name → version (without the `v`).
fn pinned() -> BTreeMap<String, String> {
    run(&repo_root().join("scripts/tools"), &["versions"])
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(name, version)| (name.to_owned(), version.trim().to_owned()))
        .collect()
}

/// The module versions Go recorded in a binary, replacements applied (a `=>` line replaces the
/// `mod` or `dep` line before it): module path → version.
fn recorded_modules(binary: &Path) -> BTreeMap<String, String> {
    let output = Command::new("go")
        .args(["version", "-m"])
        .arg(binary)
        .output()
        .expect("running `go version -m` (Go is a prerequisite of the tools)");
    assert!(
        output.status.success(),
        "go version -m {}",
        binary.display()
    );
    parse_build_info(&String::from_utf8_lossy(&output.stdout))
}

fn parse_build_info(text: &str) -> BTreeMap<String, String> {
    let mut modules = BTreeMap::new();
    let mut last_dep: Option<String> = None;
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').filter(|field| !field.is_empty()).collect();
        match fields.as_slice() {
            // The main module is the tool's own (go.mod `tool` lines build its package as
            // that module), the others are dependencies.
            ["mod" | "dep", module, version, ..] => {
                modules.insert((*module).to_owned(), (*version).to_owned());
                last_dep = Some((*module).to_owned());
            }
            ["=>", _replacement, version, ..] => {
                let module = last_dep.clone().expect("a `=>` line follows a `dep` line");
                modules.insert(module, (*version).to_owned());
            }
            _ => {}
        }
    }
    modules
}

fn assert_recorded(binary: &str, modules: &BTreeMap<String, String>, expected: &[(&str, &str)]) {
    for (module, version) in expected {
        assert_eq!(
            modules.get(*module).map(String::as_str),
            Some(*version),
            "{binary}: Go recorded {module} at {:?}, the pin says {version}",
            modules.get(*module)
        );
    }
}

#[test]
fn build_info_parsing_applies_replacements() {
    let text = "/bin/kube-apiserver: go1.26.8\n\tpath\tk8s.io/kubernetes/cmd/kube-apiserver\n\
                \tmod\tk8s.io/kubernetes\tv1.36.3\th1:def=\n\
                \tdep\tk8s.io/api\tv0.0.0\t\n\t=>\tk8s.io/api\tv0.36.3\th1:abc=\n";
    let modules = parse_build_info(text);
    assert_eq!(
        modules["k8s.io/api"], "v0.36.3",
        "the replacement's version"
    );
    assert_eq!(modules["k8s.io/kubernetes"], "v1.36.3");
    assert_eq!(modules.len(), 2, "{modules:?}");
}

#[test]
fn kubernetes_binaries_are_the_pinned_version_and_report_it() {
    let kubernetes = pinned()["kubernetes"].clone();
    let staging = format!("v0.{}", kubernetes.trim_start_matches("1."));
    let release = format!("v{kubernetes}");
    let expected = [
        ("k8s.io/kubernetes", release.as_str()),
        ("k8s.io/client-go", staging.as_str()),
        ("k8s.io/component-base", staging.as_str()),
    ];
    for binary in [
        "kube-apiserver",
        "kubelet",
        "kube-controller-manager",
        "kube-scheduler",
    ] {
        let path = tool(binary);
        let modules = recorded_modules(&path);
        assert_recorded(binary, &modules, &expected);
        // The servers' shared library, which kubectl does not link.
        assert_recorded(binary, &modules, &[("k8s.io/apiserver", staging.as_str())]);
        let reported = run(&path, &["--version"]);
        assert_eq!(
            reported.trim(),
            format!("Kubernetes {release}"),
            "{binary} --version"
        );
    }

    let kubectl = tool("kubectl");
    assert_recorded("kubectl", &recorded_modules(&kubectl), &expected);
    let version: serde_json::Value =
        serde_json::from_str(&run(&kubectl, &["version", "--client", "-o", "json"]))
            .expect("kubectl version -o json is JSON");
    assert_eq!(
        version["clientVersion"]["gitVersion"].as_str(),
        Some(release.as_str()),
        "{version}"
    );
}

#[test]
fn etcd_is_the_pinned_version_and_reports_it() {
    let etcd = format!("v{}", pinned()["etcd"]);
    let path = tool("etcd");
    assert_recorded(
        "etcd",
        &recorded_modules(&path),
        &[
            ("go.etcd.io/etcd/server/v3", etcd.as_str()),
            ("go.etcd.io/etcd/api/v3", etcd.as_str()),
        ],
    );
    let reported = run(&path, &["--version"]);
    let version = reported
        .lines()
        .find_map(|line| line.strip_prefix("etcd Version: "))
        .unwrap_or_else(|| panic!("no 'etcd Version:' line in: {reported}"));
    assert_eq!(format!("v{version}"), etcd, "{reported}");
}

#[test]
fn helm_is_the_pinned_version_and_reports_it() {
    let helm = format!("v{}", pinned()["helm"]);
    let path = tool("helm");
    assert_recorded(
        "helm",
        &recorded_modules(&path),
        &[("helm.sh/helm/v3", helm.as_str())],
    );
    let reported = run(&path, &["version", "--template", "{{.Version}}"]);
    assert_eq!(reported.trim(), helm);
}

//! Where things are: the repository, the control-plane tools, the workspace's binaries.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Environment variable naming the directory with `kube-apiserver`, `etcd`, `kubectl`, `helm`.
/// `scripts/test` exports it; without it [`tools_bin_dir`] asks `scripts/tools bin`.
pub const TOOLS_BIN_ENV: &str = "SAGEMAKER_K8S_TOOLS_BIN";

/// The root of the repository (the directory with the workspace `Cargo.toml`).
pub fn repo_root() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        // This crate lives at <root>/crates/testenv; the path is baked in at compile time, which is
        // right as long as the checkout is not moved after building. If it was, search upwards
        // from the running test binary (which lives in <root>/target/...).
        let compiled_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        if is_workspace_root(&compiled_in) {
            return compiled_in.canonicalize().unwrap_or(compiled_in);
        }
        let exe = std::env::current_exe().expect("current_exe() of the test binary");
        exe.ancestors()
            .find(|dir| is_workspace_root(dir))
            .map(Path::to_path_buf)
            .unwrap_or_else(|| {
                panic!(
                    "cannot find the repository root: neither {} nor an ancestor of {} has the workspace Cargo.toml",
                    compiled_in.display(),
                    exe.display()
                )
            })
    })
    .clone()
}

fn is_workspace_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|manifest| manifest.contains("[workspace]"))
}

/// The directory holding `kube-apiserver`, `etcd`, `kubectl` and `helm`:
/// `$SAGEMAKER_K8S_TOOLS_BIN` if set, else what `<repo>/scripts/tools bin` prints.
pub fn tools_bin_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os(TOOLS_BIN_ENV).filter(|dir| !dir.is_empty()) {
            return PathBuf::from(dir);
        }
        let script = repo_root().join("scripts/tools");
        let output = std::process::Command::new(&script)
            .arg("bin")
            .output()
            .unwrap_or_else(|error| panic!("running `{} bin`: {error}", script.display()));
        assert!(
            output.status.success(),
            "`{} bin` failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
    })
    .clone()
}

/// The path of one control-plane tool (`kube-apiserver`, `etcd`, `kubectl`, `helm`); panics
/// with the command that installs it when it is missing.
pub fn tool(name: &str) -> PathBuf {
    let path = tools_bin_dir().join(name);
    assert!(
        is_executable(&path),
        "`{}` is missing: run `scripts/tools install` (or `scripts/test`, which does), or point {TOOLS_BIN_ENV} at a directory with kube-apiserver, etcd, kubectl and helm",
        path.display()
    );
    path
}

/// The cargo target directory of the running binary (`target/debug`): test binaries live in
/// `target/debug/deps`, examples in `target/debug/examples`.
pub fn workspace_target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe() of the test binary");
    let dir = exe
        .parent()
        .expect("the test binary has a parent directory");
    match dir.file_name().and_then(|name| name.to_str()) {
        Some("deps" | "examples") => dir.parent().expect("deps/ has a parent").to_path_buf(),
        _ => dir.to_path_buf(),
    }
}

/// `target/images`: where `scripts/build-image` writes the operator's and the pause image's OCI
/// archives (beside the profile directories, as cargo's target directory is shared by them).
pub fn images_dir() -> PathBuf {
    let profile_dir = workspace_target_dir();
    profile_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(profile_dir)
        .join("images")
}

/// `target/debug/<name>`: a binary of this workspace (the emulator, the operator, the plugin).
/// Panics, saying how to build it, when it does not exist — `cargo test` does not build other
/// packages' binaries, `scripts/test` does (`cargo build --workspace --bins`).
pub fn workspace_binary(name: &str) -> PathBuf {
    let path = workspace_target_dir().join(name);
    assert!(
        is_executable(&path),
        "workspace binary `{}` does not exist: run `cargo build --workspace --bins` first (scripts/test does)",
        path.display()
    );
    path
}

pub(crate) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

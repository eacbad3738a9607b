//! Formatting, writing and comparing the generated files.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::GenError;

/// The directories the generator owns: every `.rs` file in them is generated.
const GENERATED_DIRS: &[&str] = &["crates/api/src/generated", "crates/aws/src/generated"];

/// `source` formatted by rustfmt with the workspace's rustfmt.toml.
pub fn rustfmt(workspace: &Path, file: &str, source: &str) -> Result<String, GenError> {
    let failed = |message: String| GenError::Rustfmt {
        file: file.to_string(),
        message,
    };
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--config-path"])
        .arg(workspace.join("rustfmt.toml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .current_dir(workspace)
        .spawn()
        .map_err(|error| failed(error.to_string()))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = source.to_string();
    // Written from a thread so a large file cannot deadlock against rustfmt's full stdout.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|error| failed(error.to_string()))?;
    writer
        .join()
        .expect("the writer thread does not panic")
        .map_err(|error| failed(error.to_string()))?;
    if !output.status.success() {
        return Err(failed(String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    String::from_utf8(output.stdout).map_err(|error| failed(error.to_string()))
}

/// Generated files that differ from the checked-in ones, are missing, or are left over.
pub fn stale(workspace: &Path, files: &BTreeMap<PathBuf, String>) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, source) in files {
        match std::fs::read_to_string(workspace.join(path)) {
            Ok(on_disk) if on_disk == *source => {}
            Ok(_) => problems.push(format!("{} differs", path.display())),
            Err(_) => problems.push(format!("{} is missing", path.display())),
        }
    }
    for leftover in existing(workspace) {
        if !files.contains_key(&leftover) {
            problems.push(format!("{} is not generated any more", leftover.display()));
        }
    }
    problems
}

fn existing(workspace: &Path) -> Vec<PathBuf> {
    GENERATED_DIRS
        .iter()
        .filter_map(|dir| {
            std::fs::read_dir(workspace.join(dir))
                .ok()
                .map(|d| (dir, d))
        })
        .flat_map(|(dir, entries)| {
            entries
                .filter_map(Result::ok)
                .map(|entry| Path::new(dir).join(entry.file_name()))
                .collect::<Vec<_>>()
        })
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .collect()
}

/// Writes the files and removes generated files no kind produces any more.
pub fn write(workspace: &Path, files: &BTreeMap<PathBuf, String>) -> Result<(), GenError> {
    for leftover in existing(workspace) {
        if !files.contains_key(&leftover) {
            let path = workspace.join(&leftover);
            std::fs::remove_file(&path).map_err(|source| GenError::Write { path, source })?;
        }
    }
    for (relative, source) in files {
        let path = workspace.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| GenError::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, source).map_err(|source| GenError::Write { path, source })?;
    }
    Ok(())
}

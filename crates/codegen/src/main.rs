//! `sagemaker-k8s-codegen`: writes the model-driven kinds (issue 23) from AWS's SageMaker API
//! model (`api-models/`) and their configuration (`crates/codegen/kinds.yaml`): the CRD types
//! in `crates/api/src/generated/` and the SDK requests, statuses and calls in
//! `crates/aws/src/generated/`. `--check` fails when the checked-in files are stale.
//! docs/dev/GENERATOR.md says how it works and how to add a kind.

mod config;
mod docs;
mod emit_api;
mod emit_aws;
mod error;
mod model;
mod output;
mod plan;
mod re2;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use heck::ToSnakeCase;

pub use error::GenError;

/// Writes the model-driven kinds from AWS's SageMaker API model and crates/codegen/kinds.yaml.
#[derive(Parser, Debug)]
#[command(name = "sagemaker-k8s-codegen", version)]
struct Args {
    /// Compare instead of writing: exit non-zero when a generated file differs, is missing or
    /// is left over.
    #[arg(long)]
    check: bool,
    /// Workspace root (default: the one this crate is in).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))]
    workspace: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let mut message = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("sagemaker-k8s-codegen: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Every generated file: path relative to the workspace → formatted source.
pub fn generate(workspace: &std::path::Path) -> Result<BTreeMap<PathBuf, String>, GenError> {
    let model = model::Model::load(&workspace.join("api-models/sagemaker/service-2.json.gz"))?;
    let config = config::load(&workspace.join("crates/codegen/kinds.yaml"))?;
    let plan = plan::plan(&model, &config)?;
    let mut lists = BTreeMap::new();
    for kind in &config.kinds {
        lists.insert(kind.kind.clone(), list_members(&model, kind)?);
    }
    let mut files = BTreeMap::new();
    for (name, source) in emit_api::files(&plan) {
        files.insert(PathBuf::from("crates/api/src/generated").join(name), source);
    }
    for (name, source) in emit_aws::files(&plan, &lists)? {
        files.insert(PathBuf::from("crates/aws/src/generated").join(name), source);
    }
    for (path, source) in files.iter_mut() {
        *source = output::rustfmt(workspace, &path.display().to_string(), source)?;
    }
    Ok(files)
}

/// The List output's summaries member and the summaries' name member, as SDK getters.
fn list_members(
    model: &model::Model,
    kind: &config::KindConfig,
) -> Result<(String, String), GenError> {
    let output = model.operation_shape(&kind.operations.list, "output")?;
    let summaries = model
        .members(&output)?
        .into_iter()
        .find(|(_, shape, _)| model.type_of(shape).is_ok_and(|t| t == "list"))
        .ok_or_else(|| GenError::Model {
            what: output.clone(),
            message: "no list of summaries".into(),
        })?;
    Ok((
        summaries.0.to_snake_case(),
        kind.name_member.to_snake_case(),
    ))
}

fn run(args: &Args) -> Result<(), GenError> {
    let files = generate(&args.workspace)?;
    if args.check {
        let problems = output::stale(&args.workspace, &files);
        if !problems.is_empty() {
            return Err(GenError::Stale(problems.join("\n  ")));
        }
        println!("generated files are current ({} files)", files.len());
        return Ok(());
    }
    output::write(&args.workspace, &files)?;
    println!("wrote {} files", files.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// Like the CRD YAML: the checked-in generated sources are what the model and kinds.yaml
    /// give (`cargo run -p sagemaker-k8s-codegen` rewrites them).
    #[test]
    fn generated_files_are_current() {
        let files = super::generate(&workspace()).expect("the generator runs");
        let problems = super::output::stale(&workspace(), &files);
        assert!(
            problems.is_empty(),
            "the generated files are stale (run `cargo run -p sagemaker-k8s-codegen`):\n  {}",
            problems.join("\n  ")
        );
    }

    /// The models are copied from the botocore the Python lock pins (scripts/api-models); a
    /// lock moved without copying them again would leave the emulator and the generator on an
    /// older API than the moto cross-checks.
    #[test]
    fn api_models_come_from_the_pinned_botocore() {
        let recorded = std::fs::read_to_string(workspace().join("api-models/BOTOCORE_VERSION"))
            .expect("api-models/BOTOCORE_VERSION");
        let lock = std::fs::read_to_string(workspace().join("scripts/python-requirements.txt"))
            .expect("scripts/python-requirements.txt");
        let pinned = lock
            .lines()
            .find_map(|line| line.trim().strip_prefix("botocore=="))
            .map(|rest| rest.trim_end_matches('\\').trim().to_string())
            .expect("the lock pins botocore");
        assert_eq!(recorded.trim(), pinned);
    }

    /// The model patterns left out of the CRDs because the apiserver's RE2 cannot compile
    /// them: exactly these (a new one is reviewed here, not dropped silently).
    #[test]
    fn dropped_patterns_are_the_known_ones() {
        let model =
            super::model::Model::load(&workspace().join("api-models/sagemaker/service-2.json.gz"))
                .expect("model");
        let config =
            super::config::load(&workspace().join("crates/codegen/kinds.yaml")).expect("config");
        let plan = super::plan::plan(&model, &config).expect("plan");
        let dropped: Vec<(&str, &str)> = plan
            .dropped_patterns
            .iter()
            .map(|(shape, _, why)| (shape.as_str(), why.as_str()))
            .collect();
        assert_eq!(
            dropped,
            [
                ("AlarmName", "negative lookahead"),
                // A model package's group, by name or ARN: the name part may not end in `-`.
                ("ArnOrName", "negative lookbehind"),
                ("MetricsEndpointPath", "negative lookahead"),
            ]
        );
    }
}

//! Compilation jobs (SageMaker Neo): STARTING → INPROGRESS → COMPLETED or FAILED over a few
//! emulated seconds, a row of the lifecycle table (`COMPILATION_JOB`, with a midway status and
//! stop statuses); StopCompilationJob shows STOPPING, then STOPPED; DeleteCompilationJob forgets
//! a finished job at once (its logs stay, as SageMaker's do). What is special here: the model
//! comes from `InputConfig` or from a versioned model package of the registry (one of the two),
//! the target is a device or a platform (one of the two), and a completed job names its compiled
//! artifact, the artifact's digest and, for cloud instance targets, the inference image the
//! developer guide lists. Each job writes one log stream, named after it, in
//! `/aws/sagemaker/CompilationJobs` (the developer guide's table of SageMaker's logs).

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha512};

use crate::lifecycle::{COMPILATION_JOB, End, InProgress, Life, Request, allows};
use crate::logs::{JobLogLine, LogProducer, LogScope, LogStore, Production};
use crate::wire::{ApiError, ErrorCode};
use crate::world::{
    Kind, ListFilter, Outcome, Service, World, echoed_request, list_response, paginate,
    reserved_tags, sort_rows, sorted_names, str_member, time_value,
};

/// Emulated seconds from creation to COMPLETED (a quarter of it STARTING) unless the duration
/// tag says otherwise.
const COMPILATION_SECONDS: f64 = 4.0;
/// Emulated seconds a stop spends STOPPING.
const STOP_SECONDS: f64 = 2.0;
const LOG_GROUP: &str = "/aws/sagemaker/CompilationJobs";

pub struct CompilationJob {
    pub name: String,
    pub arn: String,
    /// The Create request as received (compact text, as the other jobs keep theirs).
    pub request: Box<str>,
    pub created: f64,
    pub life: Life<()>,
    /// What the job compiles for: the target device, or `<os>_<arch>[_<accelerator>]`.
    pub target: String,
    /// Where the compiled model goes: `<S3OutputLocation>/<model file>-<target>.tar.gz`.
    pub artifact: String,
    pub inference_image: Option<String>,
    /// Whether Neo derives the data input configuration (the request gave none).
    pub derives_input: bool,
}

/// The compilation jobs of one region, by name.
pub type CompilationJobs = HashMap<String, CompilationJob>;

pub fn kind() -> Kind {
    let mut kind = Kind::new::<CompilationJobs>("compilation job");
    kind.advance = Some(|world, now| {
        world.settle_lives::<CompilationJob>(now, |job| (&mut job.life, &job.arn))
    });
    kind.resources = Some(|world| {
        vec![(
            "compilationJobs",
            sorted_names(world.compilation_jobs().keys()),
        )]
    });
    kind.owns_arn = Some(|world, arn| world.compilation_jobs().values().any(|job| job.arn == arn));
    kind.operations(
        Service::SageMaker,
        &[
            ("CreateCompilationJob", |world, body, now| {
                world.create_compilation_job(&body, now)
            }),
            ("DescribeCompilationJob", |world, body, _| {
                world.describe_compilation_job(&body)
            }),
            ("StopCompilationJob", |world, body, now| {
                world.stop_compilation_job(&body, now)
            }),
            ("DeleteCompilationJob", |world, body, now| {
                world.delete_compilation_job(&body, now)
            }),
            ("ListCompilationJobs", |world, body, _| {
                world.list_compilation_jobs(&body)
            }),
        ],
    )
}

fn ended(status: &str) -> bool {
    matches!(status, "COMPLETED" | "FAILED" | "STOPPED")
}

/// Where the model to compile comes from: "Provide either a ModelPackageVersionArn or an
/// InputConfig object … The presence of both objects … will return an exception" (the API
/// reference); the wording of both refusals is the emulator's, after CreateModelPackage's.
#[derive(Debug, PartialEq)]
enum Source<'a> {
    Input(&'a Value),
    Package,
}

fn source(body: &Value) -> Result<Source<'_>, ApiError> {
    match (body.get("InputConfig"), body.get("ModelPackageVersionArn")) {
        (Some(_), Some(_)) => Err(ApiError::validation(
            "Both InputConfig and ModelPackageVersionArn are provided in the input. Cannot determine which one to use.",
        )),
        (None, None) => Err(ApiError::validation(
            "Either InputConfig or ModelPackageVersionArn must be provided in the input.",
        )),
        (Some(input), None) => Ok(Source::Input(input)),
        (None, Some(_)) => Ok(Source::Package),
    }
}

/// The target of OutputConfig: "TargetDevice and TargetPlatform are mutually exclusive, so you
/// need to choose one between the two" (OutputConfig); the wording is the emulator's. A platform
/// is named `<os>_<arch>[_<accelerator>]`, lower-cased (the emulator's choice).
fn target(output: &Value) -> Result<String, ApiError> {
    match (output.get("TargetDevice"), output.get("TargetPlatform")) {
        (Some(_), Some(_)) => Err(ApiError::validation(
            "TargetDevice and TargetPlatform are mutually exclusive: specify only one of them in OutputConfig.",
        )),
        (None, None) => Err(ApiError::validation(
            "Either TargetDevice or TargetPlatform must be specified in OutputConfig.",
        )),
        (Some(device), None) => Ok(device.as_str().unwrap_or_default().to_string()),
        (None, Some(platform)) => {
            let parts: Vec<&str> = ["Os", "Arch", "Accelerator"]
                .iter()
                .filter_map(|member| str_member(platform, member))
                .collect();
            Ok(parts.join("_").to_lowercase())
        }
    }
}

/// The compiled artifact: the model file's name without `.tar.gz`, a dash and the target, in the
/// output location (a model `…/model.tar.gz` compiled for ml_c5 becomes `…/model-ml_c5.tar.gz`,
/// as published Neo examples show).
fn artifact_uri(location: &str, model_uri: Option<&str>, target: &str) -> String {
    let file = model_uri
        .and_then(|uri| {
            uri.rsplit('/')
                .find(|part| !part.is_empty() && !part.contains(':'))
        })
        .unwrap_or("model");
    let base = file
        .strip_suffix(".tar.gz")
        .or_else(|| file.strip_suffix(".tgz"))
        .unwrap_or(file);
    format!("{}/{base}-{target}.tar.gz", location.trim_end_matches('/'))
}

/// The registry account of the Neo inference images in each region (the developer guide's
/// "Inference Container Images" table).
const NEO_IMAGE_ACCOUNTS: &[(&str, &str)] = &[
    ("us-east-1", "785573368785"),
    ("us-east-2", "007439368137"),
    ("us-west-1", "710691900526"),
    ("us-west-2", "301217895009"),
    ("eu-west-1", "802834080501"),
    ("eu-west-2", "205493899709"),
    ("eu-west-3", "254080097072"),
    ("eu-north-1", "601324751636"),
    ("eu-south-1", "966458181534"),
    ("eu-central-1", "746233611703"),
    ("ap-east-1", "110948597952"),
    ("ap-south-1", "763008648453"),
    ("ap-northeast-1", "941853720454"),
    ("ap-northeast-2", "151534178276"),
    ("ap-southeast-1", "324986816169"),
    ("ap-southeast-2", "355873309152"),
    ("cn-northwest-1", "474822919863"),
    ("cn-north-1", "472730292857"),
    ("sa-east-1", "756306329178"),
    ("ca-central-1", "464438896020"),
    ("me-south-1", "836785723513"),
    ("af-south-1", "774647643957"),
];

/// The inference image for an `ml_*` target as the developer guide's templates give it
/// (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<version>-<cpu|gpu|inf>-py3`); None
/// for edge targets, frameworks and instance families the guide does not list, and Inferentia
/// outside us-east-1 and us-west-2.
fn inference_image(
    region: &str,
    framework: &str,
    version: Option<&str>,
    device: &str,
) -> Option<String> {
    let account = NEO_IMAGE_ACCOUNTS
        .iter()
        .find(|(name, _)| *name == region)?
        .1;
    let unit = match device {
        "ml_inf1" if matches!(region, "us-east-1" | "us-west-2") => "inf",
        "ml_p2" | "ml_p3" | "ml_g4dn" => "gpu",
        "ml_m4" | "ml_m5" | "ml_m6g" | "ml_c4" | "ml_c5" | "ml_c6g" => "cpu",
        _ => return None,
    };
    let registry = format!("{account}.dkr.ecr.{region}.amazonaws.com");
    let (repository, version) = match (framework, unit) {
        ("XGBOOST", "cpu" | "gpu") => return Some(format!("{registry}/xgboost-neo:latest")),
        ("KERAS", "cpu" | "gpu") => ("sagemaker-neo-keras", "2.2.4"),
        ("ONNX", "cpu" | "gpu") => ("sagemaker-neo-onnx", "1.5.0"),
        ("MXNET", "inf") => ("sagemaker-neo-mxnet", "1.5.1"),
        ("MXNET", _) => ("sagemaker-inference-mxnet", "1.8.0"),
        ("PYTORCH", "inf") => ("sagemaker-neo-pytorch", "1.5.1"),
        ("PYTORCH", _) => ("sagemaker-inference-pytorch", version.unwrap_or("1.6")),
        ("TENSORFLOW", "inf") => ("sagemaker-neo-tensorflow", "1.15.0"),
        ("TENSORFLOW", _) => ("sagemaker-inference-tensorflow", "1.15.3"),
        _ => return None,
    };
    Some(format!("{registry}/{repository}:{version}-{unit}-py3"))
}

/// ModelDigests' ArtifactDigest: a deterministic 512-bit hash of the artifact's location in
/// hexadecimal (SageMaker's is a BLAKE2 hash of the artifact itself, which is never written).
fn artifact_digest(artifact: &str) -> String {
    hex::encode(Sha512::digest(artifact.as_bytes()))
}

/// The model a job compiles, wherever it comes from.
struct Model {
    uri: Option<String>,
    framework: Option<String>,
    version: Option<String>,
    derives_input: bool,
}

impl World {
    pub fn compilation_jobs(&self) -> &CompilationJobs {
        self.state()
    }

    fn compilation_jobs_mut(&mut self) -> &mut CompilationJobs {
        self.state_mut()
    }

    /// The job a request names; a missing one is ResourceNotFound (the code the API reference
    /// gives), worded as SageMaker words its tuning and AutoML jobs (the emulator's analogy).
    fn compilation_job(&self, body: &Value) -> Result<&CompilationJob, ApiError> {
        let name = str_member(body, "CompilationJobName").unwrap_or_default();
        self.compilation_jobs().get(name).ok_or_else(|| {
            ApiError::new(
                ErrorCode::ResourceNotFound,
                format!("Amazon SageMaker can't find a compilation job with name {name}"),
            )
        })
    }

    /// The model of a Create request: InputConfig's, or the versioned model package's (which
    /// must exist in this region: a missing one is refused as DescribeModelPackage refuses it).
    fn model_to_compile(&self, body: &Value) -> Result<Model, ApiError> {
        let owned = |value: Option<&str>| value.map(str::to_string);
        match source(body)? {
            Source::Input(input) => Ok(Model {
                uri: owned(str_member(input, "S3Uri")),
                framework: owned(str_member(input, "Framework")),
                version: owned(str_member(input, "FrameworkVersion")),
                derives_input: input.get("DataInputConfig").is_none(),
            }),
            Source::Package => {
                let package = self.model_package(body, "ModelPackageVersionArn")?;
                if package.version.is_none() {
                    return Err(ApiError::validation(format!(
                        "ModelPackageVersionArn must name a versioned model package; {} is unversioned.",
                        package.arn
                    )));
                }
                let container = package
                    .members
                    .get("InferenceSpecification")
                    .and_then(|spec| spec.pointer("/Containers/0"));
                let member = |name: &str| owned(container.and_then(|c| str_member(c, name)));
                Ok(Model {
                    uri: member("ModelDataUrl"),
                    framework: member("Framework").map(|f| f.to_uppercase()),
                    version: member("FrameworkVersion"),
                    derives_input: true,
                })
            }
        }
    }

    pub fn create_compilation_job(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let name = str_member(body, "CompilationJobName")
            .unwrap_or_default()
            .to_string();
        let output = body.get("OutputConfig").cloned().unwrap_or(Value::Null);
        let target = target(&output)?;
        let model = self.model_to_compile(body)?;
        let reserved = reserved_tags(body.get("Tags"), &["Completed", "Failed"])?;
        if let Some(existing) = self.compilation_jobs().get(&name) {
            // By analogy with SageMaker's wording for a taken training job name.
            return Err(ApiError::new(
                ErrorCode::ResourceInUse,
                format!(
                    "Compilation job names must be unique within an AWS account and region, and a compilation job with this name already exists ({})",
                    existing.arn
                ),
            ));
        }
        let failed = match reserved.outcome.as_deref() {
            Some(outcome) => outcome == "Failed",
            None => self.settings.default_outcome == Outcome::Failed,
        };
        let end = if failed {
            End::Fail(reserved.failure_reason.unwrap_or_else(|| {
                format!("ClientError: CompilationError: Unable to compile model for {target}: the emulated compiler failed (emulator:outcome tag or --default-outcome)")
            }))
        } else {
            End::Ready(())
        };
        let at = now
            + self
                .settings
                .real(reserved.duration.unwrap_or(COMPILATION_SECONDS));
        let location = str_member(&output, "S3OutputLocation").unwrap_or_default();
        let inference_image = match (str_member(&output, "TargetDevice"), &model.framework) {
            (Some(device), Some(framework)) => inference_image(
                &self.settings.region,
                framework,
                model.version.as_deref(),
                device,
            ),
            _ => None,
        };
        let arn = self.settings.arn("compilation-job", &name);
        self.store_tags(&arn, body.get("Tags"));
        tracing::debug!(job = %name, failed, "compilation job starting");
        let job = CompilationJob {
            name: name.clone(),
            arn: arn.clone(),
            request: body.to_string().into_boxed_str(),
            created: now,
            life: Life::creating(&COMPILATION_JOB, now, at, end),
            artifact: artifact_uri(location, model.uri.as_deref(), &target),
            target,
            inference_image,
            derives_input: model.derives_input,
        };
        self.compilation_jobs_mut().insert(name.clone(), job);
        self.state_mut::<LogStore>().producers.push(LogProducer {
            group: LOG_GROUP,
            job: name,
            written_until: now,
            produce: produce_logs,
        });
        Ok(json!({ "CompilationJobArn": arn }))
    }

    pub fn describe_compilation_job(&self, body: &Value) -> Result<Value, ApiError> {
        let job = self.compilation_job(body)?;
        let status = job.life.status;
        let mut out = echoed_request(&job.request, &["Tags"]);
        out.insert("CompilationJobArn".into(), json!(job.arn));
        out.insert("CompilationJobStatus".into(), json!(status));
        if let Some(start) = job.life.midway_at {
            out.insert("CompilationStartTime".into(), time_value(start));
        }
        if ended(status) {
            out.insert("CompilationEndTime".into(), time_value(job.life.modified));
        }
        out.insert("CreationTime".into(), time_value(job.created));
        out.insert("LastModifiedTime".into(), time_value(job.life.modified));
        if let (Some(reason), "FAILED") = (&job.life.failure_reason, status) {
            out.insert("FailureReason".into(), json!(reason));
        }
        if status == COMPILATION_JOB.ready {
            completed_outputs(job, &mut out);
        }
        Ok(Value::Object(out))
    }

    pub fn stop_compilation_job(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let name = self.compilation_job(body)?.name.clone();
        let at = now + self.settings.real(STOP_SECONDS);
        let job = self
            .compilation_jobs_mut()
            .get_mut(&name)
            .expect("looked up above");
        let status = job.life.status;
        // The emulator's wording, as for the other jobs: SageMaker's is not documented.
        job.life.stop(now, at).map_err(|InProgress| {
            ApiError::validation(format!(
                "The compilation job {name} is in status {status} and cannot be stopped."
            ))
        })?;
        tracing::debug!(job = %name, "compilation job stopping");
        Ok(json!({}))
    }

    /// "You can delete a compilation job only if its current status is COMPLETED, FAILED, or
    /// STOPPED" (the API reference; the refusal's wording is the emulator's). The job's log
    /// lines are written first: its logs outlive it.
    pub fn delete_compilation_job(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let job = self.compilation_job(body)?;
        let (name, arn, status) = (job.name.clone(), job.arn.clone(), job.life.status);
        if !allows(&COMPILATION_JOB, status, Request::Delete) {
            return Err(ApiError::validation(format!(
                "Cannot delete compilation job {name} in status {status}: only a COMPLETED, FAILED or STOPPED job can be deleted. Stop the job, then delete it once it is STOPPED."
            )));
        }
        self.materialize_logs(now, &LogScope::everything());
        self.compilation_jobs_mut().remove(&name);
        self.tags.remove(&arn);
        tracing::debug!(job = %name, "compilation job deleted");
        Ok(json!({}))
    }

    /// ListCompilationJobs: the common filters; sorted by Name, CreationTime (default) or Status,
    /// Ascending unless told otherwise (both documented defaults).
    pub fn list_compilation_jobs(&self, body: &Value) -> Result<Value, ApiError> {
        let filter = ListFilter::from_request(body);
        let mut rows: Vec<&CompilationJob> = self
            .compilation_jobs()
            .values()
            .filter(|job| {
                filter.accepts(
                    &job.name,
                    Some(job.life.status),
                    job.created,
                    job.life.modified,
                )
            })
            .collect();
        sort_rows(&mut rows, body, "CreationTime", false, |job| {
            (&job.name, job.created, job.life.status)
        });
        let (page, next) = paginate(rows, body, 10, 100)?;
        let summaries = page.into_iter().map(summary).collect();
        Ok(list_response("CompilationJobSummaries", summaries, next))
    }
}

/// What a COMPLETED job adds to its description: the compiled artifact and its digest, the
/// inference image where the developer guide lists one, and the data input configuration Neo
/// derived when the request gave none (the emulator's stand-in: one NCHW image input).
fn completed_outputs(job: &CompilationJob, out: &mut Map<String, Value>) {
    out.insert(
        "ModelArtifacts".into(),
        json!({ "S3ModelArtifacts": job.artifact }),
    );
    out.insert(
        "ModelDigests".into(),
        json!({ "ArtifactDigest": artifact_digest(&job.artifact) }),
    );
    if let Some(image) = &job.inference_image {
        out.insert("InferenceImage".into(), json!(image));
    }
    if job.derives_input {
        out.insert(
            "DerivedInformation".into(),
            json!({ "DerivedDataInputConfig": "{\"input0\": [1, 3, 224, 224]}" }),
        );
    }
}

/// What List shows of a job: its times, status and target.
fn summary(job: &CompilationJob) -> Value {
    let request: Value = serde_json::from_str(&job.request).unwrap_or(Value::Null);
    let mut out = Map::new();
    out.insert("CompilationJobName".into(), json!(job.name));
    out.insert("CompilationJobArn".into(), json!(job.arn));
    out.insert("CreationTime".into(), time_value(job.created));
    if let Some(start) = job.life.midway_at {
        out.insert("CompilationStartTime".into(), time_value(start));
    }
    if ended(job.life.status) {
        out.insert("CompilationEndTime".into(), time_value(job.life.modified));
    }
    let output = request.get("OutputConfig");
    let targets = [
        ("CompilationTargetDevice", "/TargetDevice"),
        ("CompilationTargetPlatformOs", "/TargetPlatform/Os"),
        ("CompilationTargetPlatformArch", "/TargetPlatform/Arch"),
        (
            "CompilationTargetPlatformAccelerator",
            "/TargetPlatform/Accelerator",
        ),
    ];
    for (member, pointer) in targets {
        if let Some(value) = output.and_then(|output| output.pointer(pointer)) {
            out.insert(member.into(), value.clone());
        }
    }
    out.insert("LastModifiedTime".into(), time_value(job.life.modified));
    out.insert("CompilationJobStatus".into(), json!(job.life.status));
    Value::Object(out)
}

/// Milliseconds, rounded down as the Logs side rounds `now`, so a line due at an instant is
/// written by any request made at or after it.
fn ms(seconds: f64) -> i64 {
    (seconds * 1000.0) as i64
}

/// A job's log lines once it has started compiling: two at CompilationStartTime, and its last
/// words when it has ended (the artifact, the failure reason or the stop).
fn log_lines(job: &CompilationJob, start: f64) -> Vec<JobLogLine> {
    let created = ms(start);
    let line = |at: i64, text: String| (job.name.clone(), created, at, text);
    let mut lines = vec![
        line(
            created,
            format!("Starting compilation job {} for {}", job.name, job.target),
        ),
        line(
            created + 1,
            format!("Compiling the model for {}", job.target),
        ),
    ];
    let status = job.life.status;
    if ended(status) {
        let text = match (status, &job.life.failure_reason) {
            ("COMPLETED", _) => format!("Compilation completed: {}", job.artifact),
            ("FAILED", Some(reason)) => reason.clone(),
            _ => format!("Compilation {}", status.to_lowercase()),
        };
        lines.push(line(ms(job.life.modified).max(created + 1), text));
    }
    lines
}

/// The log lines of compilation job `name` as of `now`: its stream appears when it starts
/// compiling; a job stopped while STARTING never writes a line.
fn produce_logs(world: &World, name: &str, _now: f64) -> Production {
    let Some(job) = world.compilation_jobs().get(name) else {
        return Production::Wait { finished: true };
    };
    let finished = ended(job.life.status);
    match job.life.midway_at {
        None => Production::Wait { finished },
        Some(start) => Production::Write {
            lines: log_lines(job, start),
            finished,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_comes_from_input_config_or_a_package_never_both() {
        let input = json!({ "S3Uri": "s3://b/model.tar.gz", "Framework": "PYTORCH" });
        let arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1";
        let table = [
            (json!({ "InputConfig": input }), Ok(Source::Input(&input))),
            (
                json!({ "ModelPackageVersionArn": arn }),
                Ok(Source::Package),
            ),
            (
                json!({ "InputConfig": input, "ModelPackageVersionArn": arn }),
                Err("Both InputConfig and ModelPackageVersionArn"),
            ),
            (
                json!({}),
                Err("Either InputConfig or ModelPackageVersionArn"),
            ),
        ];
        for (body, expected) in table {
            match (source(&body), expected) {
                (Ok(got), Ok(wanted)) => assert_eq!(got, wanted, "{body}"),
                (Err(error), Err(start)) => {
                    assert_eq!(error.code, ErrorCode::Validation);
                    assert!(error.message.starts_with(start), "{}", error.message);
                }
                (got, wanted) => panic!("{body}: got {got:?}, wanted {wanted:?}"),
            }
        }
    }

    #[test]
    fn the_target_is_a_device_or_a_platform() {
        let table = [
            (json!({ "TargetDevice": "ml_c5" }), Ok("ml_c5")),
            (
                json!({ "TargetPlatform": { "Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA" } }),
                Ok("linux_arm64_nvidia"),
            ),
            (
                json!({ "TargetPlatform": { "Os": "ANDROID", "Arch": "ARM_EABI" } }),
                Ok("android_arm_eabi"),
            ),
            (
                json!({ "TargetDevice": "ml_c5", "TargetPlatform": { "Os": "LINUX", "Arch": "X86_64" } }),
                Err("TargetDevice and TargetPlatform are mutually exclusive"),
            ),
            (json!({}), Err("Either TargetDevice or TargetPlatform")),
        ];
        for (output, expected) in table {
            let got = target(&output).map_err(|error| error.message);
            match expected {
                Ok(wanted) => assert_eq!(got.as_deref(), Ok(wanted), "{output}"),
                Err(start) => assert!(got.unwrap_err().starts_with(start), "{output}"),
            }
        }
    }

    #[test]
    fn the_compiled_artifact_is_named_after_the_model_file_and_the_target() {
        let table = [
            (
                "s3://b/out",
                Some("s3://b/train/model.tar.gz"),
                "ml_c5",
                "s3://b/out/model-ml_c5.tar.gz",
            ),
            (
                "s3://b/out/",
                Some("s3://b/resnet.tgz"),
                "rasp4b",
                "s3://b/out/resnet-rasp4b.tar.gz",
            ),
            (
                "s3://b/out",
                Some("s3://b/prefix/train/"),
                "ml_inf1",
                "s3://b/out/train-ml_inf1.tar.gz",
            ),
            ("s3://b", None, "ml_m5", "s3://b/model-ml_m5.tar.gz"),
        ];
        for (location, model, target, expected) in table {
            assert_eq!(artifact_uri(location, model, target), expected);
        }
        let digest = artifact_digest("s3://b/out/model-ml_c5.tar.gz");
        assert_eq!(digest.len(), 128);
        assert_eq!(digest, artifact_digest("s3://b/out/model-ml_c5.tar.gz"));
    }

    #[test]
    fn inference_images_follow_the_developer_guide_templates() {
        let table = [
            (
                "us-east-1",
                "PYTORCH",
                Some("1.8"),
                "ml_c5",
                Some(
                    "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-inference-pytorch:1.8-cpu-py3",
                ),
            ),
            (
                "us-west-2",
                "TENSORFLOW",
                None,
                "ml_p3",
                Some(
                    "301217895009.dkr.ecr.us-west-2.amazonaws.com/sagemaker-inference-tensorflow:1.15.3-gpu-py3",
                ),
            ),
            (
                "us-west-2",
                "MXNET",
                None,
                "ml_inf1",
                Some(
                    "301217895009.dkr.ecr.us-west-2.amazonaws.com/sagemaker-neo-mxnet:1.5.1-inf-py3",
                ),
            ),
            (
                "eu-west-1",
                "XGBOOST",
                None,
                "ml_m5",
                Some("802834080501.dkr.ecr.eu-west-1.amazonaws.com/xgboost-neo:latest"),
            ),
            ("eu-west-1", "MXNET", None, "ml_inf1", None),
            ("us-east-1", "TFLITE", None, "ml_c5", None),
            ("us-east-1", "PYTORCH", None, "jetson_nano", None),
            ("us-gov-west-1", "PYTORCH", None, "ml_c5", None),
        ];
        for (region, framework, version, device, expected) in table {
            assert_eq!(
                inference_image(region, framework, version, device).as_deref(),
                expected,
                "{region} {framework} {device}"
            );
        }
    }
}

use sagemaker_k8s_testenv::Emulator;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn clear_errors_with_nonzero_exit() {
    let emulator = Emulator::start(&[]).await;
    let env = emulator.sdk_env();
    let ns = cluster().await.create_namespace("smlogs-errors").await;

    let missing = smlogs(&env, &["trainingjob", "nope", "-n", &ns]).await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains(&format!(
            "TrainingJob \"nope\" not found in namespace \"{ns}\""
        )),
        "{}",
        stderr(&missing)
    );

    create_object(
        &ns,
        "TrainingJob",
        "pending",
        json!({"trainingJobStatus": "SynchronizingK8sJobWithSageMaker"}),
    )
    .await;
    let pending = smlogs(&env, &["trainingjob", "pending", "-n", &ns]).await;
    assert_eq!(pending.status.code(), Some(1));
    assert!(
        stderr(&pending).contains("has not been created in SageMaker yet"),
        "{}",
        stderr(&pending)
    );

    create_object(
        &ns,
        "TrainingJob",
        "silent",
        json!({"trainingJobStatus": "InProgress", "sageMakerTrainingJobName": "silent-job"}),
    )
    .await;
    let no_streams = smlogs(&env, &["trainingjob", "silent", "-n", &ns]).await;
    assert_eq!(no_streams.status.code(), Some(1));
    assert!(
        stderr(&no_streams).contains("no log streams"),
        "{}",
        stderr(&no_streams)
    );
    assert!(
        stderr(&no_streams).contains("-f"),
        "{}",
        stderr(&no_streams)
    );

    let without_keys: Vec<(String, String)> = env
        .iter()
        .filter(|(key, _)| {
            !key.starts_with("AWS_ACCESS_KEY_ID") && !key.starts_with("AWS_SECRET_ACCESS_KEY")
        })
        .cloned()
        .collect();
    let mut command = smlogs_command(&without_keys, &["trainingjob", "silent", "-n", &ns]).await;
    command
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN");
    let no_credentials = command.output().await.unwrap();
    assert_eq!(no_credentials.status.code(), Some(1));
    assert!(
        stderr(&no_credentials).contains("no AWS credentials"),
        "{}",
        stderr(&no_credentials)
    );

    let usage = smlogs(&env, &["model", "x"]).await;
    assert_eq!(usage.status.code(), Some(2));
}

#[tokio::test]
async fn tuning_job_points_to_its_training_jobs() {
    let cp = cluster().await;
    let ns = cp.create_namespace("smlogs-hpo").await;
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../api/tests/fixtures/xgboost-mnist-hpo.yaml"
    );
    cp.kubectl(&["apply", "-n", &ns, "-f", fixture])
        .await
        .expect_success();
    set_status(
        &ns,
        "HyperparameterTuningJob",
        "xgboost-mnist-hpo",
        json!({"sageMakerHyperParameterTuningJobName": "hpo1"}),
    )
    .await;
    create_object(
        &ns,
        "TrainingJob",
        "hpo1-001-0123abcd",
        json!({"sageMakerTrainingJobName": "hpo1-001-0123abcd"}),
    )
    .await;
    create_object(
        &ns,
        "TrainingJob",
        "hpo12-001-0123abcd",
        json!({"sageMakerTrainingJobName": "hpo12-001-0123abcd"}),
    )
    .await;
    let output = smlogs(
        &[],
        &["HyperparameterTuningJob", "xgboost-mnist-hpo", "-n", &ns],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("has no logs of its own"), "{text}");
    assert!(
        text.contains(&format!(
            "kubectl smlogs trainingjob hpo1-001-0123abcd -n {ns}"
        )),
        "{text}"
    );
    assert!(!text.contains("hpo12-001"), "{text}");
}

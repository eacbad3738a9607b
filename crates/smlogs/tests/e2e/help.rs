use sagemaker_k8s_testenv::Emulator;

use crate::common::*;

#[tokio::test]
async fn bare_command_prints_the_guides_help() {
    let output = smlogs(&[], &[]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = include_str!("expected/help.txt");
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    assert!(expected.contains("Aliases:\n  smlogs, SMLogs, Smlogs\n"));
}

/// `kubectl smlogs …` through the real kubectl, which finds the plugin on PATH.
#[tokio::test]
async fn kubectl_runs_the_plugin() {
    let cp = cluster().await;
    let help = cp.kubectl(&["smlogs"]).await.expect_success();
    assert_eq!(help.stdout, include_str!("expected/help.txt"));

    let emulator = Emulator::start(&[]).await;
    let ns = cp.create_namespace("smlogs-kubectl").await;
    let logs = logs_client(&emulator.endpoint).await;
    let t = now_ms() - 10_000;
    seed(
        &logs,
        TRAINING_GROUP,
        "kjob/algo-1-100",
        &[(t, "hello from kubectl".into())],
    )
    .await;
    create_object(&ns, "TrainingJob", "kobj", serde_json::json!({
        "trainingJobStatus": "Completed", "secondaryStatus": "Completed", "sageMakerTrainingJobName": "kjob"
    }))
    .await;
    let output = cp
        .kubectl_with_env(
            &["smlogs", "trainingjob", "kobj", "-n", &ns],
            &emulator.sdk_env(),
        )
        .await
        .expect_success();
    let (stream, message) = parse_line(output.stdout.trim_end());
    assert_eq!(
        (stream.as_str(), message.as_str()),
        ("kjob/algo-1-100", "hello from kubectl")
    );
    assert!(
        output
            .stderr
            .contains("\"kobj\" has SageMaker TrainingJobName \"kjob\""),
        "{}",
        output.stderr
    );
}

use sagemaker_k8s_testenv::Moto;
use serde_json::json;

use crate::common::*;

/// moto as a second implementation of CloudWatch Logs: the plugin's calls work there too, and
/// a job whose name is a prefix of another job's shows only its own streams.
#[tokio::test]
async fn moto_shows_only_this_jobs_streams() {
    let Some(moto) = Moto::start().await else {
        eprintln!("skipped: moto is not available (SAGEMAKER_K8S_PYTHON unset)");
        return;
    };
    let logs = logs_client(&moto.endpoint).await;
    let t = now_ms() - 30_000;
    seed(
        &logs,
        TRAINING_GROUP,
        "mjob/algo-1-100",
        &[(t, "mine 1".into()), (t + 20, "mine 3".into())],
    )
    .await;
    seed(
        &logs,
        TRAINING_GROUP,
        "mjob/algo-2-100",
        &[(t + 10, "mine 2".into())],
    )
    .await;
    seed(
        &logs,
        TRAINING_GROUP,
        "mjob-2/algo-1-100",
        &[(t + 5, "not mine".into())],
    )
    .await;
    let ns = cluster().await.create_namespace("smlogs-moto").await;
    create_object(&ns, "TrainingJob", "mobj", json!({"trainingJobStatus": "Completed", "secondaryStatus": "Completed", "sageMakerTrainingJobName": "mjob"})).await;
    let output = smlogs(&moto.sdk_env(), &["trainingjob", "mobj", "-n", &ns]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let got: Vec<(String, String)> = stdout_lines(&output)
        .iter()
        .map(|l| parse_line(l))
        .collect();
    assert_eq!(
        got,
        [
            ("mjob/algo-1-100".to_owned(), "mine 1".to_owned()),
            ("mjob/algo-2-100".to_owned(), "mine 2".to_owned()),
            ("mjob/algo-1-100".to_owned(), "mine 3".to_owned()),
        ]
    );
}

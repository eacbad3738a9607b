use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_sagemaker::types::{
    AlgorithmSpecification, OutputDataConfig, ResourceConfig, StoppingCondition, Tag,
    TrainingInputMode, TrainingInstanceType, TrainingJobStatus,
};
use sagemaker_k8s_testenv::{Emulator, TEST_REGION, wait_until};
use serde_json::json;

use crate::common::*;

async fn sagemaker_client(endpoint: &str) -> aws_sdk_sagemaker::Client {
    let config = aws_sdk_sagemaker::Config::builder()
        .behavior_version(aws_sdk_sagemaker::config::BehaviorVersion::latest())
        .region(aws_sdk_sagemaker::config::Region::new(TEST_REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_sagemaker::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .build();
    aws_sdk_sagemaker::Client::from_conf(config)
}

/// A 3-instance job run by the emulator (which writes its logs): every event of every stream,
/// in time order, exactly as CloudWatch holds them.
#[tokio::test]
async fn multi_instance_training_job_shows_all_streams_merged_by_time() {
    let emulator = Emulator::start(&["--time-scale", "0.01"]).await;
    let sagemaker = sagemaker_client(&emulator.endpoint).await;
    sagemaker
        .create_training_job()
        .training_job_name("multi-job")
        .algorithm_specification(
            AlgorithmSpecification::builder()
                .training_image("123456789012.dkr.ecr.us-west-2.amazonaws.com/xgboost:1")
                .training_input_mode(TrainingInputMode::File)
                .build(),
        )
        .role_arn("arn:aws:iam::123456789012:role/service-role/SageMakerRole")
        .output_data_config(
            OutputDataConfig::builder()
                .s3_output_path("s3://bucket/out/")
                .build(),
        )
        .resource_config(
            ResourceConfig::builder()
                .instance_count(3)
                .instance_type(TrainingInstanceType::MlM4Xlarge)
                .volume_size_in_gb(5)
                .build(),
        )
        .stopping_condition(
            StoppingCondition::builder()
                .max_runtime_in_seconds(3600)
                .build(),
        )
        .tags(
            Tag::builder()
                .key("emulator:duration-seconds")
                .value("60")
                .build(),
        )
        .send()
        .await
        .expect("CreateTrainingJob");
    wait_until(
        Duration::from_secs(60),
        "training job completes",
        || async {
            let job = sagemaker
                .describe_training_job()
                .training_job_name("multi-job")
                .send()
                .await
                .ok()?;
            (job.training_job_status() == Some(&TrainingJobStatus::Completed)).then_some(())
        },
    )
    .await;

    // What CloudWatch holds, read independently of the plugin.
    let logs = logs_client(&emulator.endpoint).await;
    let streams = logs
        .describe_log_streams()
        .log_group_name(TRAINING_GROUP)
        .log_stream_name_prefix("multi-job/")
        .send()
        .await
        .unwrap();
    let names: Vec<String> = streams
        .log_streams()
        .iter()
        .filter_map(|s| s.log_stream_name().map(str::to_owned))
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let mut expected: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for name in &names {
        let page = logs
            .get_log_events()
            .log_group_name(TRAINING_GROUP)
            .log_stream_name(name)
            .start_from_head(true)
            .send()
            .await
            .unwrap();
        expected.insert(
            name.clone(),
            page.events()
                .iter()
                .map(|e| (e.timestamp().unwrap(), e.message().unwrap().to_owned()))
                .collect(),
        );
    }
    let total: usize = expected.values().map(Vec::len).sum();
    assert!(total >= 6, "the emulator wrote logs: {expected:?}");

    let cp = cluster().await;
    let ns = cp.create_namespace("smlogs-multi").await;
    create_object(&ns, "TrainingJob", "multi", json!({
        "trainingJobStatus": "Completed", "secondaryStatus": "Completed", "sageMakerTrainingJobName": "multi-job"
    }))
    .await;
    let output = smlogs(
        &emulator.sdk_env(),
        &[
            "TrainingJobs",
            "multi",
            "-n",
            &ns,
            "--timestamps",
            "epoch-millis",
        ],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stderr(&output).lines().next().unwrap(),
        format!(
            "\"multi\" has SageMaker TrainingJobName \"multi-job\" in region \"{TEST_REGION}\", status \"Completed\" and secondary status \"Completed\""
        )
    );
    let lines = stdout_lines(&output);
    assert_eq!(lines.len(), total);
    let mut per_stream: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    let mut previous = i64::MIN;
    for line in &lines {
        let mut parts = line.splitn(3, ' ');
        let (stream, time, message) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap_or(""),
        );
        let time: i64 = time.parse().unwrap();
        assert!(time >= previous, "out of time order at {line}");
        previous = time;
        per_stream
            .entry(stream.to_owned())
            .or_default()
            .push((time, message.to_owned()));
    }
    assert_eq!(per_stream, expected);

    // The default time column is the guide's.
    let output = smlogs(&emulator.sdk_env(), &["trainingjob", "multi", "-n", &ns]).await;
    for line in stdout_lines(&output) {
        parse_line(&line);
    }
}

#[tokio::test]
async fn transform_job_prefix_tail_json_and_hidden_stream_names() {
    let emulator = Emulator::start(&[]).await;
    let logs = logs_client(&emulator.endpoint).await;
    let t = now_ms() - 60_000;
    let a: Vec<(i64, String)> = (0..10).map(|i| (t + i * 10, format!("a{i}"))).collect();
    let b: Vec<(i64, String)> = (0..10).map(|i| (t + i * 10 + 5, format!("b{i}"))).collect();
    seed(&logs, TRANSFORM_GROUP, "tjob/i-aaa-100", &a).await;
    seed(&logs, TRANSFORM_GROUP, "tjob/i-bbb-100", &b).await;
    // Another job whose name starts with this one's: never shown.
    seed(
        &logs,
        TRANSFORM_GROUP,
        "tjob2/i-aaa-100",
        &[(t, "other job".into())],
    )
    .await;
    let ns = cluster().await.create_namespace("smlogs-transform").await;
    create_object(
        &ns,
        "BatchTransformJob",
        "tobj",
        json!({"transformJobStatus": "Completed", "sageMakerTransformJobName": "tjob"}),
    )
    .await;
    let env = emulator.sdk_env();

    let all = smlogs(
        &env,
        &[
            "batchtransformjob",
            "tobj",
            "-n",
            &ns,
            "--hide-log-stream-name",
            "--timestamps",
            "none",
        ],
    )
    .await;
    assert!(all.status.success(), "{}", stderr(&all));
    assert!(stderr(&all).starts_with(&format!("\"tobj\" has SageMaker TransformJobName \"tjob\" in region \"{TEST_REGION}\" and status \"Completed\"")));
    let interleaved: Vec<String> = (0..10)
        .flat_map(|i| [format!("a{i}"), format!("b{i}")])
        .collect();
    assert_eq!(stdout_lines(&all), interleaved);

    let prefixed = smlogs(
        &env,
        &["BatchTransformJob", "tobj", "-n", &ns, "-p", "i-bbb"],
    )
    .await;
    let messages: Vec<String> = stdout_lines(&prefixed)
        .iter()
        .map(|l| parse_line(l).1)
        .collect();
    assert_eq!(
        messages,
        (0..10).map(|i| format!("b{i}")).collect::<Vec<_>>()
    );

    let tail = smlogs(
        &env,
        &[
            "batchtransformjobs",
            "tobj",
            "-n",
            &ns,
            "--tail",
            "3",
            "-o",
            "json",
        ],
    )
    .await;
    assert!(tail.status.success(), "{}", stderr(&tail));
    let events: Vec<serde_json::Value> = stdout_lines(&tail)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["logStreamName"].as_str().unwrap(),
                e["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("tjob/i-bbb-100", "b8"),
            ("tjob/i-aaa-100", "a9"),
            ("tjob/i-bbb-100", "b9")
        ]
    );
    assert_eq!(events[1]["timestamp"], t + 90);

    let since = smlogs(
        &env,
        &[
            "batchtransformjob",
            "tobj",
            "-n",
            &ns,
            "--start-time",
            &jiff::Timestamp::from_millisecond(t + 85)
                .unwrap()
                .to_string(),
            "--timestamps",
            "none",
            "--hide-log-stream-name",
        ],
    )
    .await;
    assert_eq!(stdout_lines(&since), ["b8", "a9", "b9"]);
}

/// A compilation job writes one stream, named after it, in /aws/sagemaker/CompilationJobs: that
/// one is shown, not another job's whose name starts with this one's.
#[tokio::test]
async fn compilation_job_shows_its_one_stream() {
    let emulator = Emulator::start(&[]).await;
    let logs = logs_client(&emulator.endpoint).await;
    let t = now_ms() - 60_000;
    let lines: Vec<(i64, String)> = (0..5).map(|i| (t + i * 10, format!("neo{i}"))).collect();
    seed(&logs, COMPILATION_GROUP, "neo", &lines).await;
    seed(&logs, COMPILATION_GROUP, "neo2", &[(t, "other job".into())]).await;
    let ns = cluster().await.create_namespace("smlogs-compilation").await;
    create_object(
        &ns,
        "CompilationJob",
        "cobj",
        json!({"status": "COMPLETED", "sageMakerCompilationJobName": "neo"}),
    )
    .await;
    let output = smlogs(&emulator.sdk_env(), &["compilationjob", "cobj", "-n", &ns]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).starts_with(&format!(
        "\"cobj\" has SageMaker CompilationJobName \"neo\" in region \"{TEST_REGION}\" and status \"COMPLETED\""
    )));
    let shown: Vec<(String, String)> = stdout_lines(&output)
        .iter()
        .map(|line| parse_line(line))
        .collect();
    assert_eq!(
        shown
            .iter()
            .map(|(_, message)| message.clone())
            .collect::<Vec<_>>(),
        (0..5).map(|i| format!("neo{i}")).collect::<Vec<_>>()
    );
    assert!(shown.iter().all(|(stream, _)| stream == "neo"), "{shown:?}");
}

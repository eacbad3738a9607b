use aws_config::retry::RetryConfig;

use crate::harness::{Emulator, TEST_KEY, TEST_SECRET};
use crate::{error_of, tag, training_request};

#[tokio::test]
async fn tags_on_every_arn() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let arn = training_request(&client, "tagged", &[("team", "ml")])
        .send()
        .await
        .unwrap()
        .training_job_arn
        .expect("arn");
    let tags = client.list_tags().resource_arn(&arn).send().await.unwrap();
    assert_eq!(tags.tags().len(), 1);
    assert_eq!(tags.tags()[0].key(), Some("team"));
    client
        .add_tags()
        .resource_arn(&arn)
        .tags(tag("env", "test"))
        .tags(tag("team", "platform"))
        .send()
        .await
        .unwrap();
    let tags = client.list_tags().resource_arn(&arn).send().await.unwrap();
    let pairs: Vec<_> = tags
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("team".to_string(), "platform".to_string()),
            ("env".to_string(), "test".to_string())
        ]
    );
    client
        .delete_tags()
        .resource_arn(&arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    assert_eq!(
        client
            .list_tags()
            .resource_arn(&arn)
            .send()
            .await
            .unwrap()
            .tags()
            .len(),
        1
    );
    let (code, _) = error_of(
        client
            .list_tags()
            .resource_arn("arn:aws:sagemaker:us-east-1:123456789012:model/none")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
}

#[tokio::test]
async fn signatures_are_verified_when_credentials_are_given() {
    let credentials = format!("{TEST_KEY}:{TEST_SECRET}");
    let emulator = Emulator::start_with(&["--credentials", &credentials]);
    let good = emulator.sagemaker().await;
    training_request(&good, "signed", &[])
        .send()
        .await
        .expect("correctly signed request is served");
    good.describe_training_job()
        .training_job_name("signed")
        .send()
        .await
        .expect("describe");

    let wrong_secret = emulator
        .sagemaker_with(RetryConfig::disabled(), TEST_KEY, "not-the-secret")
        .await;
    let (code, message) = error_of(
        wrong_secret
            .describe_training_job()
            .training_job_name("signed")
            .send()
            .await,
    );
    assert_eq!(code, "InvalidSignatureException");
    assert!(
        message.starts_with("The request signature we calculated does not match"),
        "{message}"
    );

    let unknown = emulator
        .sagemaker_with(RetryConfig::disabled(), "AKIDUNKNOWN", TEST_SECRET)
        .await;
    let (code, _) = error_of(
        unknown
            .describe_training_job()
            .training_job_name("signed")
            .send()
            .await,
    );
    assert_eq!(code, "UnrecognizedClientException");

    // Logs and runtime are verified the same way.
    let logs = emulator.logs().await;
    logs.describe_log_groups()
        .send()
        .await
        .expect("signed logs call");
}

#[tokio::test]
async fn any_well_formed_signature_is_accepted_by_default_but_none_is_an_error() {
    let emulator = Emulator::start();
    let anyone = emulator
        .sagemaker_with(RetryConfig::disabled(), "AKIDANYONE", "whatever")
        .await;
    anyone
        .list_training_jobs()
        .send()
        .await
        .expect("any key works without --credentials");

    let target = [
        ("x-amz-target", "SageMaker.ListTrainingJobs"),
        ("content-type", "application/x-amz-json-1.1"),
    ];
    let (status, body) = emulator.http("POST", "/", &target, "{}");
    assert_eq!(status, 400);
    assert!(
        body.contains("MissingAuthenticationTokenException"),
        "{body}"
    );

    let garbled = [
        target[0],
        target[1],
        ("authorization", "Bearer abc"),
        ("x-amz-date", "20260101T000000Z"),
    ];
    let (status, body) = emulator.http("POST", "/", &garbled, "{}");
    assert_eq!(status, 400);
    assert!(body.contains("IncompleteSignatureException"), "{body}");
    assert_eq!(
        emulator.calls("SageMaker.ListTrainingJobs"),
        3,
        "every attempt is counted"
    );
}

#[tokio::test]
async fn sts_web_identity_credentials_work_against_a_verifying_emulator() {
    let credentials = format!("{TEST_KEY}:{TEST_SECRET}");
    let emulator = Emulator::start_with(&["--credentials", &credentials]);
    // {"sub":"system:serviceaccount:ns:sa","aud":"sts.amazonaws.com","iss":"https://oidc.example"}
    let token = "e30.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bnM6c2EiLCJhdWQiOiJzdHMuYW1hem9uYXdzLmNvbSIsImlzcyI6Imh0dHBzOi8vb2lkYy5leGFtcGxlIn0.c2ln";
    let form = format!(
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Foperator&RoleSessionName=op-session&WebIdentityToken={token}"
    );
    let (status, xml) = emulator.http(
        "POST",
        "/",
        &[("content-type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(status, 200, "{xml}");
    assert!(
        xml.contains("<Arn>arn:aws:sts::123456789012:assumed-role/operator/op-session</Arn>"),
        "{xml}"
    );
    assert!(xml.contains(
        "<SubjectFromWebIdentityToken>system:serviceaccount:ns:sa</SubjectFromWebIdentityToken>"
    ));
    let field = |name: &str| {
        xml.split(&format!("<{name}>"))
            .nth(1)
            .and_then(|rest| rest.split(&format!("</{name}>")).next())
            .unwrap()
            .to_string()
    };
    let (key, secret) = (field("AccessKeyId"), field("SecretAccessKey"));
    assert!(key.starts_with("ASIA"));
    let assumed = emulator
        .sagemaker_with(RetryConfig::disabled(), &key, &secret)
        .await;
    assumed
        .list_training_jobs()
        .send()
        .await
        .expect("issued credentials are accepted");

    let (status, xml) = emulator.http("POST", "/", &[("content-type", "application/x-www-form-urlencoded")], "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fx&RoleSessionName=session&WebIdentityToken=garbage");
    assert_eq!(status, 400);
    assert!(xml.contains("<Code>InvalidIdentityToken</Code>"), "{xml}");
    let (status, xml) = emulator.http(
        "POST",
        "/",
        &[("content-type", "application/x-www-form-urlencoded")],
        "Action=GetCallerIdentity&Version=2011-06-15",
    );
    assert_eq!(status, 403, "GetCallerIdentity must be signed");
    assert!(xml.contains("MissingAuthenticationToken"), "{xml}");
}

#[tokio::test]
async fn unknown_operations_and_the_control_api() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let (code, _) = error_of(
        client
            .describe_labeling_job()
            .labeling_job_name("p")
            .send()
            .await,
    );
    assert_eq!(code, "UnknownOperationException");

    training_request(&client, "before-reset", &[])
        .send()
        .await
        .unwrap();
    assert_eq!(
        emulator.control("GET", "health", serde_json::Value::Null)["status"],
        "ok"
    );
    emulator.control("POST", "reset", serde_json::json!({}));
    assert!(
        client
            .list_training_jobs()
            .send()
            .await
            .unwrap()
            .training_job_summaries()
            .is_empty(),
        "reset forgets every job"
    );
    assert_eq!(
        emulator.calls("SageMaker.CreateTrainingJob"),
        0,
        "reset zeroes the counters"
    );
    assert_eq!(emulator.calls("SageMaker.ListTrainingJobs"), 1);

    let (status, body) = emulator.http(
        "POST",
        "/_emulator/faults",
        &[],
        r#"{"operation":"*","kind":"explode"}"#,
    );
    assert_eq!(status, 400, "{body}");
    let (status, _) = emulator.http("GET", "/_emulator/nothing", &[], "");
    assert_eq!(status, 404);
}

#[test]
fn help_documents_every_flag() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sagemaker-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for flag in [
        "--listen",
        "--time-scale",
        "--default-outcome",
        "--credentials",
        "--region",
        "--log-level",
        "emulator:outcome",
        "/_emulator/",
    ] {
        assert!(help.contains(flag), "--help mentions {flag}");
    }
}

#[tokio::test]
async fn remaining_error_codes() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    // More than 50 tags on one resource: ResourceLimitExceeded, and the tags stay as they were.
    let arn = training_request(&client, "many-tags", &[("keep", "me")])
        .send()
        .await
        .unwrap()
        .training_job_arn
        .expect("arn");
    let mut add = client.add_tags().resource_arn(&arn);
    for index in 0..50 {
        add = add.tags(tag(&format!("k{index}"), "v"));
    }
    let (code, _) = error_of(add.send().await);
    assert_eq!(code, "ResourceLimitExceeded");
    assert_eq!(
        client
            .list_tags()
            .resource_arn(&arn)
            .send()
            .await
            .unwrap()
            .tags()
            .len(),
        1
    );

    // A body that is not a JSON object.
    let headers = [
        ("x-amz-target", "SageMaker.ListTrainingJobs"),
        ("content-type", "application/x-amz-json-1.1"),
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
        ),
        ("x-amz-date", "20260101T000000Z"),
    ];
    let (status, body) = emulator.http("POST", "/", &headers, "[1, 2]");
    assert_eq!(status, 400);
    assert!(body.contains("SerializationException"), "{body}");
}

#[tokio::test]
async fn runtime_and_logs_are_verified_too() {
    let credentials = format!("{TEST_KEY}:{TEST_SECRET}");
    let emulator = Emulator::start_with(&["--credentials", &credentials]);
    let runtime = emulator.runtime().await;
    let error = runtime
        .invoke_endpoint()
        .endpoint_name("none")
        .content_type("text/csv")
        .body(aws_sdk_sagemakerruntime::primitives::Blob::new("1,2"))
        .send()
        .await
        .unwrap_err();
    // Correctly signed: the request reaches the endpoint lookup.
    assert_eq!(
        aws_sdk_sagemakerruntime::error::ProvideErrorMetadata::code(&error),
        Some("ValidationError")
    );
    let (status, _) = emulator.http(
        "POST",
        "/endpoints/none/invocations",
        &[("content-type", "text/csv")],
        "1,2",
    );
    assert_eq!(
        status, 400,
        "unsigned runtime call is refused before the lookup"
    );
}

#[tokio::test]
async fn arns_name_the_region_the_request_was_signed_for() {
    let emulator = Emulator::start();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_sdk_sagemaker::config::Region::new("us-west-2"))
        .endpoint_url(&emulator.url)
        .credentials_provider(aws_sdk_sagemaker::config::Credentials::new(
            TEST_KEY,
            TEST_SECRET,
            None,
            None,
            "tests",
        ))
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    let client = aws_sdk_sagemaker::Client::new(&config);
    let arn = training_request(&client, "west", &[])
        .send()
        .await
        .unwrap()
        .training_job_arn
        .expect("arn");
    assert_eq!(
        arn,
        "arn:aws:sagemaker:us-west-2:123456789012:training-job/west"
    );
}

#[tokio::test]
async fn absurd_pagination_tokens_are_answered_not_crashed_on() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let huge = format!("emulator-page-{}", usize::MAX);
    let page = client
        .list_training_jobs()
        .next_token(huge)
        .send()
        .await
        .expect("an empty page");
    assert!(page.training_job_summaries().is_empty() && page.next_token().is_none());
    let (code, _) = error_of(
        client
            .list_training_jobs()
            .next_token("garbage")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    let logs = emulator.logs().await;
    logs.create_log_group()
        .log_group_name("/g")
        .send()
        .await
        .unwrap();
    let page = logs
        .describe_log_groups()
        .next_token(format!("emulator-logs-{}", usize::MAX))
        .send()
        .await
        .expect("an empty page");
    assert!(page.log_groups().is_empty());
    client
        .list_training_jobs()
        .send()
        .await
        .expect("still serving");
}

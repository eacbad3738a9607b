use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::types::{InputLogEvent, OrderBy};
use aws_sdk_sagemaker::types::TrainingJobStatus;

use crate::harness::{DEADLINE, Emulator, eventually};
use crate::training_request;

const GROUP: &str = "/aws/sagemaker/TrainingJobs";

#[tokio::test]
async fn training_jobs_write_one_interleaved_stream_per_instance() {
    let emulator = Emulator::start();
    let client = emulator.sagemaker().await;
    let logs = emulator.logs().await;
    training_request(&client, "logged", &[])
        .send()
        .await
        .expect("create");
    training_request(&client, "logged-other", &[])
        .send()
        .await
        .expect("create");
    eventually("completion", DEADLINE, || async {
        let job = client
            .describe_training_job()
            .training_job_name("logged")
            .send()
            .await
            .unwrap();
        (job.training_job_status() == Some(&TrainingJobStatus::Completed)).then_some(())
    })
    .await;

    let streams = logs
        .describe_log_streams()
        .log_group_name(GROUP)
        .log_stream_name_prefix("logged/")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = streams
        .log_streams()
        .iter()
        .map(|s| s.log_stream_name().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 2, "one stream per instance: {names:?}");
    let pattern = regex::Regex::new(r"^logged/algo-[12]-\d{10}$").unwrap();
    assert!(names.iter().all(|name| pattern.is_match(name)), "{names:?}");
    assert!(names[0].contains("algo-1") && names[1].contains("algo-2"));

    // FilterLogEvents honours the prefix (moto ignores it) and interleaves the instances in time.
    let events = logs
        .filter_log_events()
        .log_group_name(GROUP)
        .log_stream_name_prefix("logged/")
        .send()
        .await
        .unwrap();
    let events = events.events();
    assert!(events.len() >= 10);
    assert!(
        events
            .iter()
            .all(|e| e.log_stream_name().unwrap().starts_with("logged/"))
    );
    assert!(
        events
            .windows(2)
            .all(|w| w[0].timestamp() <= w[1].timestamp()),
        "sorted by time"
    );
    let switches = events
        .windows(2)
        .filter(|w| w[0].log_stream_name() != w[1].log_stream_name())
        .count();
    assert!(
        switches >= events.len() / 2,
        "instances interleave, {switches} switches in {}",
        events.len()
    );
    assert!(
        events
            .iter()
            .any(|e| e.message().unwrap().contains("#metric validation:error="))
    );

    // logStreamNames and paging with nextToken.
    let only = logs
        .filter_log_events()
        .log_group_name(GROUP)
        .log_stream_names(names[1].clone())
        .limit(3)
        .send()
        .await
        .unwrap();
    assert_eq!(only.events().len(), 3);
    assert!(
        only.events()
            .iter()
            .all(|e| e.log_stream_name() == Some(names[1].as_str()))
    );
    let rest = logs
        .filter_log_events()
        .log_group_name(GROUP)
        .log_stream_names(names[1].clone())
        .next_token(only.next_token().expect("more pages"))
        .send()
        .await
        .unwrap();
    assert!(rest.events()[0].timestamp() >= only.events()[2].timestamp());

    // startTime/endTime bound the events.
    let middle = events[events.len() / 2].timestamp().unwrap();
    let late = logs
        .filter_log_events()
        .log_group_name(GROUP)
        .log_stream_name_prefix("logged/")
        .start_time(middle)
        .send()
        .await
        .unwrap();
    assert!(
        late.events()
            .iter()
            .all(|e| e.timestamp().unwrap() >= middle)
    );
    assert!(late.events().len() < events.len());

    // filterPattern terms.
    let epochs = logs
        .filter_log_events()
        .log_group_name(GROUP)
        .filter_pattern("train-error")
        .send()
        .await
        .unwrap();
    assert!(
        !epochs.events().is_empty()
            && epochs
                .events()
                .iter()
                .all(|e| e.message().unwrap().contains("train-error"))
    );

    let error = logs
        .filter_log_events()
        .log_group_name(GROUP)
        .log_stream_name_prefix("a")
        .log_stream_names("b")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("InvalidParameterException"));
}

#[tokio::test]
async fn get_log_events_pages_with_forward_and_backward_tokens() {
    let emulator = Emulator::start();
    let logs = emulator.logs().await;
    logs.create_log_group()
        .log_group_name("/test/app")
        .send()
        .await
        .unwrap();
    logs.create_log_stream()
        .log_group_name("/test/app")
        .log_stream_name("s1")
        .send()
        .await
        .unwrap();
    // Recent events: CloudWatch Logs rejects events older than 14 days.
    let base = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        - 60_000;
    let mut put = logs
        .put_log_events()
        .log_group_name("/test/app")
        .log_stream_name("s1");
    for i in 0..10 {
        put = put.log_events(
            InputLogEvent::builder()
                .timestamp(base + i)
                .message(format!("line {i}"))
                .build()
                .unwrap(),
        );
    }
    let accepted = put.send().await.unwrap();
    assert!(accepted.next_sequence_token().is_some());
    assert!(accepted.rejected_log_events_info().is_none());
    let rejected = logs
        .put_log_events()
        .log_group_name("/test/app")
        .log_stream_name("s1")
        .log_events(
            InputLogEvent::builder()
                .timestamp(1_000)
                .message("ancient")
                .build()
                .unwrap(),
        )
        .log_events(
            InputLogEvent::builder()
                .timestamp(base + 3_600_000 * 5)
                .message("future")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let info = rejected
        .rejected_log_events_info()
        .expect("rejections reported");
    assert_eq!(
        (
            info.too_old_log_event_end_index(),
            info.too_new_log_event_start_index()
        ),
        (Some(1), Some(1))
    );

    let head = logs
        .get_log_events()
        .log_group_name("/test/app")
        .log_stream_name("s1")
        .start_from_head(true)
        .limit(4)
        .send()
        .await
        .unwrap();
    let messages: Vec<_> = head
        .events()
        .iter()
        .map(|e| e.message().unwrap().to_string())
        .collect();
    assert_eq!(messages, ["line 0", "line 1", "line 2", "line 3"]);
    let next = logs
        .get_log_events()
        .log_group_name("/test/app")
        .log_stream_name("s1")
        .next_token(head.next_forward_token().unwrap())
        .limit(4)
        .send()
        .await
        .unwrap();
    assert_eq!(next.events()[0].message(), Some("line 4"));
    let back = logs
        .get_log_events()
        .log_group_name("/test/app")
        .log_stream_name("s1")
        .next_token(next.next_backward_token().unwrap())
        .limit(2)
        .send()
        .await
        .unwrap();
    let messages: Vec<_> = back
        .events()
        .iter()
        .map(|e| e.message().unwrap().to_string())
        .collect();
    assert_eq!(messages, ["line 2", "line 3"]);

    // Without startFromHead the newest events come back; at the end the forward token repeats.
    let tail = logs
        .get_log_events()
        .log_group_name("/test/app")
        .log_stream_name("s1")
        .limit(3)
        .send()
        .await
        .unwrap();
    assert_eq!(tail.events().last().unwrap().message(), Some("line 9"));
    let end = logs
        .get_log_events()
        .log_group_name("/test/app")
        .log_stream_name("s1")
        .next_token(tail.next_forward_token().unwrap())
        .send()
        .await
        .unwrap();
    assert!(end.events().is_empty());
    assert_eq!(end.next_forward_token(), tail.next_forward_token());

    let windowed = logs
        .get_log_events()
        .log_group_name("/test/app")
        .log_stream_name("s1")
        .start_time(base + 2)
        .end_time(base + 5)
        .start_from_head(true)
        .send()
        .await
        .unwrap();
    assert_eq!(windowed.events().len(), 3, "endTime is exclusive");

    // Stream and group paging.
    for name in ["s2", "s3"] {
        logs.create_log_stream()
            .log_group_name("/test/app")
            .log_stream_name(name)
            .send()
            .await
            .unwrap();
    }
    let first = logs
        .describe_log_streams()
        .log_group_name("/test/app")
        .limit(2)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = first
        .log_streams()
        .iter()
        .map(|s| s.log_stream_name().unwrap().to_string())
        .collect();
    assert_eq!(names, ["s1", "s2"]);
    let second = logs
        .describe_log_streams()
        .log_group_name("/test/app")
        .limit(2)
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(second.log_streams()[0].log_stream_name(), Some("s3"));
    assert!(second.next_token().is_none());
    logs.create_log_group()
        .log_group_name("/test/other")
        .send()
        .await
        .unwrap();
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/test")
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 1);
    let rest = logs
        .describe_log_groups()
        .log_group_name_prefix("/test")
        .next_token(groups.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.log_groups()[0].log_group_name(), Some("/test/other"));

    // Groups, stream ordering, and the errors.
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/test")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups()[0].log_group_name(), Some("/test/app"));
    let by_time = logs
        .describe_log_streams()
        .log_group_name("/test/app")
        .order_by(OrderBy::LastEventTime)
        .descending(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_time.log_streams()[0].last_event_timestamp(),
        Some(base + 9)
    );
    let error = logs
        .create_log_group()
        .log_group_name("/test/app")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ResourceAlreadyExistsException"));
    let error = logs
        .create_log_stream()
        .log_group_name("/test/app")
        .log_stream_name("s1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ResourceAlreadyExistsException"));
    let error = logs
        .get_log_events()
        .log_group_name("/nope")
        .log_stream_name("s1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ResourceNotFoundException"));
    let error = logs
        .get_log_events()
        .log_group_name("/test/app")
        .log_stream_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("ResourceNotFoundException"));
    let error = logs
        .describe_log_streams()
        .log_group_name("/test/app")
        .log_stream_name_prefix("s")
        .order_by(OrderBy::LastEventTime)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("InvalidParameterException"));
    let error = logs
        .put_log_events()
        .log_group_name("/test/app")
        .log_stream_name("s1")
        .log_events(
            InputLogEvent::builder()
                .timestamp(base + 5)
                .message("b")
                .build()
                .unwrap(),
        )
        .log_events(
            InputLogEvent::builder()
                .timestamp(base)
                .message("a")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("InvalidParameterException"));
}

//! The two CloudWatch Logs calls the plugin needs, behind a trait so that merge and follow logic
//! can be tested without a server.

use aws_sdk_cloudwatchlogs::error::{DisplayErrorContext, ProvideErrorMetadata};

use crate::error::SmlogsError;

/// One log event as read from a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEvent {
    pub timestamp_ms: i64,
    pub ingestion_ms: i64,
    pub message: String,
}

/// Where to start reading a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadPosition {
    /// From the oldest event at or after `start_ms` (all events when `None`).
    FromHead { start_ms: Option<i64> },
    /// The newest `count` events (at or after `start_ms`).
    Newest { count: i32, start_ms: Option<i64> },
    /// Continue after the page that returned this forward token. The start time is sent again
    /// because some implementations (the emulator) count token positions among the events at
    /// or after it.
    After {
        token: String,
        start_ms: Option<i64>,
    },
}

impl ReadPosition {
    pub fn start_ms(&self) -> Option<i64> {
        match self {
            ReadPosition::FromHead { start_ms }
            | ReadPosition::Newest { start_ms, .. }
            | ReadPosition::After { start_ms, .. } => *start_ms,
        }
    }
}

/// One page of a stream, oldest first, and the token to continue after it.
#[derive(Clone, Debug)]
pub struct EventPage {
    pub events: Vec<LogEvent>,
    pub next_forward_token: String,
}

#[allow(async_fn_in_trait)]
pub trait LogSource {
    /// Names of the streams in `group` whose names start with `prefix`, in any order.
    async fn stream_names(&self, group: &str, prefix: &str) -> Result<Vec<String>, SmlogsError>;
    /// At most `limit` events of one stream from `position`.
    async fn read_page(
        &self,
        group: &str,
        stream: &str,
        position: &ReadPosition,
        limit: i32,
    ) -> Result<EventPage, SmlogsError>;
}

/// The real service (or an emulator) through the AWS SDK.
pub struct CloudWatchLogs {
    client: aws_sdk_cloudwatchlogs::Client,
}

impl CloudWatchLogs {
    pub fn new(client: aws_sdk_cloudwatchlogs::Client) -> Self {
        Self { client }
    }
}

fn describe_sdk_error<E, R>(error: &aws_sdk_cloudwatchlogs::error::SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(error).to_string(),
    }
}

impl LogSource for CloudWatchLogs {
    async fn stream_names(&self, group: &str, prefix: &str) -> Result<Vec<String>, SmlogsError> {
        let mut names = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let response = self
                .client
                .describe_log_streams()
                .log_group_name(group)
                .log_stream_name_prefix(prefix)
                .set_next_token(next_token.clone())
                .send()
                .await;
            let response = match response {
                Ok(response) => response,
                Err(error) => {
                    // A job that has not logged yet may have no group either: that is "no streams".
                    if error.code() == Some("ResourceNotFoundException") {
                        return Ok(Vec::new());
                    }
                    return Err(SmlogsError::CloudWatch {
                        operation: "DescribeLogStreams",
                        message: describe_sdk_error(&error),
                    });
                }
            };
            names.extend(
                response
                    .log_streams()
                    .iter()
                    .filter_map(|stream| stream.log_stream_name())
                    // Some implementations (moto in FilterLogEvents) ignore name prefixes, and a
                    // job name can be a prefix of another job's: check every name ourselves.
                    .filter(|name| name.starts_with(prefix))
                    .map(str::to_owned),
            );
            match response.next_token() {
                Some(token) if next_token.as_deref() != Some(token) => {
                    next_token = Some(token.to_owned())
                }
                _ => break,
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    async fn read_page(
        &self,
        group: &str,
        stream: &str,
        position: &ReadPosition,
        limit: i32,
    ) -> Result<EventPage, SmlogsError> {
        let request = self
            .client
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream);
        let request = match position {
            ReadPosition::FromHead { start_ms } => request
                .start_from_head(true)
                .set_start_time(*start_ms)
                .limit(limit),
            ReadPosition::Newest { count, start_ms } => request
                .start_from_head(false)
                .set_start_time(*start_ms)
                .limit((*count).clamp(1, 10_000)),
            ReadPosition::After { token, start_ms } => request
                .start_from_head(true)
                .next_token(token)
                .set_start_time(*start_ms)
                .limit(limit),
        };
        let response = request
            .send()
            .await
            .map_err(|error| SmlogsError::CloudWatch {
                operation: "GetLogEvents",
                message: describe_sdk_error(&error),
            })?;
        let events = response
            .events()
            .iter()
            .map(|event| LogEvent {
                timestamp_ms: event.timestamp().unwrap_or_default(),
                ingestion_ms: event.ingestion_time().unwrap_or_default(),
                message: event.message().unwrap_or_default().to_owned(),
            })
            .collect();
        let next_forward_token = match (response.next_forward_token(), position) {
            (Some(token), _) => token.to_owned(),
            // Without a token the same position is read again next time; keep the old one.
            (None, ReadPosition::After { token, .. }) => token.clone(),
            (None, _) => String::new(),
        };
        Ok(EventPage {
            events,
            next_forward_token,
        })
    }
}

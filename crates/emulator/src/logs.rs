//! CloudWatch Logs: groups, streams and events in memory, the `Logs_20140328.*` operations, and
//! the materialization of the log lines jobs write while they run.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::wire::{ApiError, ErrorCode};
use crate::world::{ACCOUNT_ID, Kind, Service, World, sorted_names, str_member};

#[derive(Debug, Clone)]
pub struct LogEvent {
    pub timestamp: i64,
    pub ingestion: i64,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct LogStream {
    pub created: i64,
    /// Kept sorted by timestamp (PutLogEvents batches are chronological; job lines are
    /// generated in order), which GetLogEvents and FilterLogEvents rely on.
    pub events: Vec<LogEvent>,
    pub sequence: u64,
}

#[derive(Debug, Default)]
pub struct LogGroup {
    pub created: i64,
    pub streams: BTreeMap<String, LogStream>,
}

/// One line a job writes: (stream, stream creation in ms, timestamp in ms, message).
pub type JobLogLine = (String, i64, i64, String);

/// What a job has to say when its producer is asked at some instant.
pub enum Production {
    /// Nothing to write yet (instances not up), or ever again (`finished`: the job is gone or
    /// will never write a line).
    Wait { finished: bool },
    /// Every line the job writes over its whole life (the producer keeps the ones whose time has
    /// come); `finished` once the job has ended.
    Write {
        lines: Vec<JobLogLine>,
        finished: bool,
    },
}

/// A job whose log events have not all been written yet; see `World::materialize_logs`. The
/// job's kind supplies `produce`, so CloudWatch Logs knows no kind of job.
#[derive(Debug, Clone)]
pub struct LogProducer {
    /// The log group the job writes to (`/aws/sagemaker/TrainingJobs`, …).
    pub group: &'static str,
    pub job: String,
    pub written_until: f64,
    /// The job's lines as of `now` (the world, the job's name, now).
    pub produce: fn(&World, &str, f64) -> Production,
}

/// CloudWatch Logs of one region: the groups, and the jobs still writing into them.
#[derive(Debug, Default)]
pub struct LogStore {
    pub groups: BTreeMap<String, LogGroup>,
    pub producers: Vec<LogProducer>,
}

/// CloudWatch Logs, registered like a kind: its operations, and its groups in the resource list.
pub fn kind() -> Kind {
    let mut kind = Kind::new::<LogStore>("log group");
    kind.resources = Some(|world| {
        vec![(
            "logGroups",
            sorted_names(world.state::<LogStore>().groups.keys()),
        )]
    });
    // Each operation first writes the job lines its request can see (`logs_operation`).
    kind.operations(
        Service::Logs,
        &[
            ("CreateLogGroup", |world, body, now| {
                world.logs_operation("CreateLogGroup", &body, now)
            }),
            ("CreateLogStream", |world, body, now| {
                world.logs_operation("CreateLogStream", &body, now)
            }),
            ("DescribeLogGroups", |world, body, now| {
                world.logs_operation("DescribeLogGroups", &body, now)
            }),
            ("DescribeLogStreams", |world, body, now| {
                world.logs_operation("DescribeLogStreams", &body, now)
            }),
            ("GetLogEvents", |world, body, now| {
                world.logs_operation("GetLogEvents", &body, now)
            }),
            ("FilterLogEvents", |world, body, now| {
                world.logs_operation("FilterLogEvents", &body, now)
            }),
            ("PutLogEvents", |world, body, now| {
                world.logs_operation("PutLogEvents", &body, now)
            }),
        ],
    )
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::LogsInvalidParameter, message)
}

fn group_missing() -> ApiError {
    ApiError::new(
        ErrorCode::LogsResourceNotFound,
        "The specified log group does not exist.",
    )
}

fn stream_missing() -> ApiError {
    ApiError::new(
        ErrorCode::LogsResourceNotFound,
        "The specified log stream does not exist.",
    )
}

fn now_ms(now: f64) -> i64 {
    (now * 1000.0) as i64
}

impl LogStore {
    /// Appends the lines whose time lies in (`written_until`, `now`], creating their streams.
    fn write(&mut self, group: &str, lines: Vec<JobLogLine>, written_until: f64, now: f64) {
        let from = now_ms(written_until);
        let until = now_ms(now);
        for (stream, created, timestamp, message) in lines {
            let target = self.stream_mut(group, &stream, created);
            if timestamp > from && timestamp <= until {
                target.events.push(LogEvent {
                    timestamp,
                    ingestion: timestamp.max(until),
                    message,
                });
            }
        }
        for stream in self
            .groups
            .get_mut(group)
            .into_iter()
            .flat_map(|g| g.streams.values_mut())
        {
            stream.events.sort_by_key(|event| event.timestamp);
        }
    }

    fn group_arn(&self, region: &str, name: &str) -> String {
        format!("arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{name}")
    }

    fn stream_mut(&mut self, group: &str, stream: &str, created: i64) -> &mut LogStream {
        let group = self
            .groups
            .entry(group.to_string())
            .or_insert_with(|| LogGroup {
                created,
                streams: BTreeMap::new(),
            });
        group
            .streams
            .entry(stream.to_string())
            .or_insert_with(|| LogStream {
                created,
                ..LogStream::default()
            })
    }
}

fn required_str<'a>(body: &'a Value, member: &str, path: &str) -> Result<&'a str, ApiError> {
    match str_member(body, member) {
        Some(text) if !text.is_empty() => Ok(text),
        Some(text) => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{text}' at '{path}' failed to satisfy constraint: Member must have length greater than or equal to 1"
        ))),
        None => Err(ApiError::validation(format!(
            "1 validation error detected: Value null at '{path}' failed to satisfy constraint: Member must not be null"
        ))),
    }
}

fn limit(body: &Value, default: usize, max: usize) -> Result<usize, ApiError> {
    match body.get("limit").and_then(Value::as_i64) {
        None => Ok(default),
        Some(value) if value >= 1 && value as usize <= max => Ok(value as usize),
        Some(value) => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{value}' at 'limit' failed to satisfy constraint: Member must have value {} {}",
            if value < 1 {
                "greater than or equal to"
            } else {
                "less than or equal to"
            },
            if value < 1 { 1 } else { max }
        ))),
    }
}

fn offset_token(body: &Value, member: &str) -> Result<usize, ApiError> {
    match str_member(body, member) {
        None | Some("") => Ok(0),
        Some(token) => token
            .strip_prefix("emulator-logs-")
            .and_then(|rest| rest.parse().ok())
            .ok_or_else(|| invalid("The specified nextToken is invalid.")),
    }
}

impl World {
    /// Writes the log lines running jobs have produced up to `now`. Called before every Logs
    /// operation, so reading logs shows exactly what a job would have written by then. Only the
    /// jobs whose streams the request can see are brought up to date.
    pub fn materialize_logs(&mut self, now: f64, scope: &LogScope) {
        let mut producers = std::mem::take(&mut self.state_mut::<LogStore>().producers);
        producers.retain_mut(|producer| {
            if !scope.covers(producer) {
                return true;
            }
            match (producer.produce)(self, &producer.job, now) {
                Production::Wait { finished } => !finished,
                Production::Write { lines, finished } => {
                    let store = self.state_mut::<LogStore>();
                    store.write(producer.group, lines, producer.written_until, now);
                    producer.written_until = now;
                    !finished
                }
            }
        });
        // Jobs created while producing (none today) keep their place after the older ones.
        let store = self.state_mut::<LogStore>();
        producers.append(&mut store.producers);
        store.producers = producers;
    }

    pub fn logs_operation(
        &mut self,
        operation: &str,
        body: &Value,
        now: f64,
    ) -> Result<Value, ApiError> {
        self.materialize_logs(now, &LogScope::of_request(operation, body));
        match operation {
            "CreateLogGroup" => self.create_log_group(body, now),
            "CreateLogStream" => self.create_log_stream(body, now),
            "DescribeLogGroups" => self.describe_log_groups(body),
            "DescribeLogStreams" => self.describe_log_streams(body),
            "GetLogEvents" => self.get_log_events(body),
            "FilterLogEvents" => self.filter_log_events(body),
            "PutLogEvents" => self.put_log_events(body, now),
            other => Err(ApiError::new(
                ErrorCode::UnknownOperation,
                format!("The emulator does not implement Logs_20140328.{other}"),
            )),
        }
    }

    fn create_log_group(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let name = required_str(body, "logGroupName", "logGroupName")?;
        if self.state::<LogStore>().groups.contains_key(name) {
            return Err(ApiError::new(
                ErrorCode::LogsResourceAlreadyExists,
                "The specified log group already exists",
            ));
        }
        self.state_mut::<LogStore>().groups.insert(
            name.to_string(),
            LogGroup {
                created: now_ms(now),
                streams: BTreeMap::new(),
            },
        );
        Ok(json!({}))
    }

    fn create_log_stream(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let group_name = required_str(body, "logGroupName", "logGroupName")?;
        let stream_name = required_str(body, "logStreamName", "logStreamName")?;
        let group = self
            .state_mut::<LogStore>()
            .groups
            .get_mut(group_name)
            .ok_or_else(group_missing)?;
        if group.streams.contains_key(stream_name) {
            return Err(ApiError::new(
                ErrorCode::LogsResourceAlreadyExists,
                "The specified log stream already exists",
            ));
        }
        group.streams.insert(
            stream_name.to_string(),
            LogStream {
                created: now_ms(now),
                ..LogStream::default()
            },
        );
        Ok(json!({}))
    }

    fn describe_log_groups(&self, body: &Value) -> Result<Value, ApiError> {
        let prefix = str_member(body, "logGroupNamePrefix").unwrap_or("");
        let size = limit(body, 50, 50)?;
        let start = offset_token(body, "nextToken")?;
        let matching: Vec<(&String, &LogGroup)> = self
            .state::<LogStore>()
            .groups
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .collect();
        let groups: Vec<Value> = matching
            .iter()
            .skip(start)
            .take(size)
            .map(|(name, group)| {
                let arn = self
                    .state::<LogStore>()
                    .group_arn(&self.settings.region, name);
                let stored: usize = group
                    .streams
                    .values()
                    .flat_map(|s| s.events.iter())
                    .map(|e| e.message.len())
                    .sum();
                json!({
                    "logGroupName": name,
                    "creationTime": group.created,
                    "metricFilterCount": 0,
                    "arn": format!("{arn}:*"),
                    "logGroupArn": arn,
                    "storedBytes": stored,
                })
            })
            .collect();
        let mut response = json!({ "logGroups": groups });
        if start.saturating_add(size) < matching.len() {
            response["nextToken"] = json!(format!("emulator-logs-{}", start.saturating_add(size)));
        }
        Ok(response)
    }

    fn describe_log_streams(&self, body: &Value) -> Result<Value, ApiError> {
        let group_name = required_str(body, "logGroupName", "logGroupName")?;
        let prefix = str_member(body, "logStreamNamePrefix");
        let order = str_member(body, "orderBy").unwrap_or("LogStreamName");
        if !matches!(order, "LogStreamName" | "LastEventTime") {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{order}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"
            )));
        }
        if prefix.is_some() && order == "LastEventTime" {
            return Err(invalid(
                "Cannot order by LastEventTime with a logStreamNamePrefix.",
            ));
        }
        let size = limit(body, 50, 50)?;
        let start = offset_token(body, "nextToken")?;
        let group = self
            .state::<LogStore>()
            .groups
            .get(group_name)
            .ok_or_else(group_missing)?;
        let mut streams: Vec<(&String, &LogStream)> = group
            .streams
            .iter()
            .filter(|(name, _)| prefix.is_none_or(|prefix| name.starts_with(prefix)))
            .collect();
        if order == "LastEventTime" {
            streams.sort_by_key(|(name, stream)| {
                (
                    stream.events.last().map(|e| e.timestamp).unwrap_or(0),
                    (*name).clone(),
                )
            });
        }
        if body
            .get("descending")
            .and_then(Value::as_bool)
            .unwrap_or(false)
        {
            streams.reverse();
        }
        let arn = self
            .state::<LogStore>()
            .group_arn(&self.settings.region, group_name);
        let page: Vec<Value> = streams
            .iter()
            .skip(start)
            .take(size)
            .map(|(name, stream)| {
                let mut entry = json!({
                    "logStreamName": name,
                    "creationTime": stream.created,
                    "arn": format!("{arn}:log-stream:{name}"),
                    "storedBytes": 0,
                });
                if let (Some(first), Some(last)) = (stream.events.first(), stream.events.last()) {
                    entry["firstEventTimestamp"] = json!(first.timestamp);
                    entry["lastEventTimestamp"] = json!(last.timestamp);
                    entry["lastIngestionTime"] = json!(
                        stream
                            .events
                            .iter()
                            .map(|e| e.ingestion)
                            .max()
                            .unwrap_or(last.ingestion)
                    );
                    entry["uploadSequenceToken"] = json!(stream.sequence.to_string());
                }
                entry
            })
            .collect();
        let mut response = json!({ "logStreams": page });
        if start.saturating_add(size) < streams.len() {
            response["nextToken"] = json!(format!("emulator-logs-{}", start.saturating_add(size)));
        }
        Ok(response)
    }

    fn get_log_events(&self, body: &Value) -> Result<Value, ApiError> {
        let group_name = required_str(body, "logGroupName", "logGroupName")?;
        let stream_name = required_str(body, "logStreamName", "logStreamName")?;
        let size = limit(body, 10_000, 10_000)?;
        let group = self
            .state::<LogStore>()
            .groups
            .get(group_name)
            .ok_or_else(group_missing)?;
        let stream = group.streams.get(stream_name).ok_or_else(stream_missing)?;
        let start_time = body.get("startTime").and_then(Value::as_i64);
        let end_time = body.get("endTime").and_then(Value::as_i64);
        let events: Vec<&LogEvent> = stream
            .events
            .iter()
            .filter(|event| {
                start_time.is_none_or(|start| event.timestamp >= start)
                    && end_time.is_none_or(|end| event.timestamp < end)
            })
            .collect();
        // Tokens name a position in the (time-filtered) event list: "f/N" reads forward from N,
        // "b/N" reads the page that ends just before N.
        let (from, to) = match str_member(body, "nextToken") {
            Some(token) if !token.is_empty() => {
                let (direction, position) = token
                    .split_once('/')
                    .ok_or_else(|| invalid("The specified nextToken is invalid."))?;
                let position: usize = position
                    .parse()
                    .map_err(|_| invalid("The specified nextToken is invalid."))?;
                let position = position.min(events.len());
                match direction {
                    "f" => (position, (position + size).min(events.len())),
                    "b" => (position.saturating_sub(size), position),
                    _ => return Err(invalid("The specified nextToken is invalid.")),
                }
            }
            _ => {
                if body
                    .get("startFromHead")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                {
                    (0, size.min(events.len()))
                } else {
                    (events.len().saturating_sub(size), events.len())
                }
            }
        };
        let page: Vec<Value> = events[from..to]
            .iter()
            .map(|event| json!({ "timestamp": event.timestamp, "message": event.message, "ingestionTime": event.ingestion }))
            .collect();
        Ok(json!({
            "events": page,
            "nextForwardToken": format!("f/{to:020}"),
            "nextBackwardToken": format!("b/{from:020}"),
        }))
    }

    fn filter_log_events(&self, body: &Value) -> Result<Value, ApiError> {
        let group_name = required_str(body, "logGroupName", "logGroupName")?;
        let names: Option<Vec<&str>> = body
            .get("logStreamNames")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect());
        let prefix = str_member(body, "logStreamNamePrefix");
        if names.is_some() && prefix.is_some() {
            return Err(invalid(
                "You cannot specify both logStreamNames and logStreamNamePrefix.",
            ));
        }
        let size = limit(body, 10_000, 10_000)?;
        let start = offset_token(body, "nextToken")?;
        let group = self
            .state::<LogStore>()
            .groups
            .get(group_name)
            .ok_or_else(group_missing)?;
        let start_time = body.get("startTime").and_then(Value::as_i64);
        let end_time = body.get("endTime").and_then(Value::as_i64);
        let terms = filter_terms(str_member(body, "filterPattern").unwrap_or(""));
        let streams: Vec<(&String, &LogStream)> = group
            .streams
            .iter()
            .filter(|(name, _)| {
                names
                    .as_ref()
                    .is_none_or(|names| names.contains(&name.as_str()))
                    && prefix.is_none_or(|prefix| name.starts_with(prefix))
            })
            .collect();
        let mut matched: Vec<(&String, usize, &LogEvent)> = streams
            .iter()
            .flat_map(|(name, stream)| {
                stream
                    .events
                    .iter()
                    .enumerate()
                    .map(move |(index, event)| (*name, index, event))
            })
            .filter(|(_, _, event)| {
                start_time.is_none_or(|start| event.timestamp >= start)
                    && end_time.is_none_or(|end| event.timestamp <= end)
                    && terms
                        .iter()
                        .all(|term| event.message.contains(term.as_str()))
            })
            .collect();
        matched.sort_by(|a, b| {
            a.2.timestamp
                .cmp(&b.2.timestamp)
                .then(a.0.cmp(b.0))
                .then(a.1.cmp(&b.1))
        });
        let total = matched.len();
        let page: Vec<Value> = matched
            .into_iter()
            .skip(start)
            .take(size)
            .map(|(stream, index, event)| {
                json!({
                    "logStreamName": stream,
                    "timestamp": event.timestamp,
                    "message": event.message,
                    "ingestionTime": event.ingestion,
                    "eventId": format!("{:020}{:012}", event.timestamp, index),
                })
            })
            .collect();
        let searched: Vec<Value> = streams
            .iter()
            .map(|(name, _)| json!({ "logStreamName": name, "searchedCompletely": true }))
            .collect();
        let mut response = json!({ "events": page, "searchedLogStreams": searched });
        if start.saturating_add(size) < total {
            response["nextToken"] = json!(format!("emulator-logs-{}", start.saturating_add(size)));
        }
        Ok(response)
    }

    fn put_log_events(&mut self, body: &Value, now: f64) -> Result<Value, ApiError> {
        let group_name = required_str(body, "logGroupName", "logGroupName")?;
        let stream_name = required_str(body, "logStreamName", "logStreamName")?;
        let events = body.get("logEvents").and_then(Value::as_array).ok_or_else(|| {
            ApiError::validation("1 validation error detected: Value null at 'logEvents' failed to satisfy constraint: Member must not be null")
        })?;
        if events.is_empty() || events.len() > 10_000 {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{}' at 'logEvents' failed to satisfy constraint: Member must have length {}",
                events.len(),
                if events.is_empty() {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 10000"
                }
            )));
        }
        let mut parsed = Vec::with_capacity(events.len());
        for event in events {
            let timestamp = event
                .get("timestamp")
                .and_then(Value::as_i64)
                .ok_or_else(|| invalid("Log event is missing its timestamp."))?;
            let message = event
                .get("message")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("Log event is missing its message."))?;
            parsed.push((timestamp, message.to_string()));
        }
        if parsed.windows(2).any(|pair| pair[1].0 < pair[0].0) {
            return Err(invalid(
                "Log events in a single PutLogEvents request must be in chronological order.",
            ));
        }
        let group = self
            .state_mut::<LogStore>()
            .groups
            .get_mut(group_name)
            .ok_or_else(group_missing)?;
        let stream = group
            .streams
            .get_mut(stream_name)
            .ok_or_else(stream_missing)?;
        let ingestion = now_ms(now);
        // CloudWatch Logs rejects events older than 14 days or more than 2 hours in the future and
        // says which, by index into the (chronological) batch.
        let oldest = ingestion - 14 * 24 * 3600 * 1000;
        let newest = ingestion + 2 * 3600 * 1000;
        let too_old = parsed
            .iter()
            .filter(|(timestamp, _)| *timestamp < oldest)
            .count();
        let too_new_from = parsed.iter().position(|(timestamp, _)| *timestamp > newest);
        for (timestamp, message) in parsed
            .into_iter()
            .filter(|(timestamp, _)| (oldest..=newest).contains(timestamp))
        {
            stream.events.push(LogEvent {
                timestamp,
                ingestion,
                message,
            });
        }
        stream.events.sort_by_key(|event| event.timestamp);
        stream.sequence += 1;
        let mut response = json!({ "nextSequenceToken": format!("{:056}", stream.sequence) });
        if too_old > 0 {
            response["rejectedLogEventsInfo"]["tooOldLogEventEndIndex"] = json!(too_old);
        }
        if let Some(index) = too_new_from {
            response["rejectedLogEventsInfo"]["tooNewLogEventStartIndex"] = json!(index);
        }
        Ok(response)
    }
}

/// Which job streams a Logs request can observe.
pub struct LogScope {
    /// None: every group (DescribeLogGroups).
    group: Option<String>,
    /// Stream names or name prefixes the request is limited to; empty means all streams.
    streams: Vec<String>,
}

impl LogScope {
    pub fn everything() -> Self {
        LogScope {
            group: None,
            streams: Vec::new(),
        }
    }

    fn of_request(operation: &str, body: &Value) -> Self {
        if operation == "DescribeLogGroups" {
            return LogScope::everything();
        }
        let mut streams: Vec<String> = Vec::new();
        if let Some(name) = str_member(body, "logStreamName") {
            streams.push(name.to_string());
        }
        if let Some(prefix) = str_member(body, "logStreamNamePrefix") {
            streams.push(prefix.to_string());
        }
        for name in body
            .get("logStreamNames")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            streams.push(name.to_string());
        }
        LogScope {
            group: str_member(body, "logGroupName").map(str::to_string),
            streams,
        }
    }

    fn covers(&self, producer: &LogProducer) -> bool {
        if self
            .group
            .as_deref()
            .is_some_and(|wanted| wanted != producer.group)
        {
            return false;
        }
        // Job streams are named `<job>/…`: a stream name or prefix can only see this job's
        // streams if one of the two starts with the other.
        let job_prefix = format!("{}/", producer.job);
        self.streams.is_empty()
            || self.streams.iter().any(|stream| {
                stream.starts_with(&job_prefix) || job_prefix.starts_with(stream.as_str())
            })
    }
}

/// The plain-term subset of CloudWatch filter patterns: every term (or quoted phrase) must occur.
fn filter_terms(pattern: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut rest = pattern.trim();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            terms.push(quoted[..end].to_string());
            rest = quoted.get(end + 1..).unwrap_or("").trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            terms.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRAINING_LOG_GROUP: &str = "/aws/sagemaker/TrainingJobs";
    const TRANSFORM_LOG_GROUP: &str = "/aws/sagemaker/TransformJobs";

    fn producer(job: &str) -> LogProducer {
        LogProducer {
            group: TRAINING_LOG_GROUP,
            job: job.to_string(),
            written_until: 0.0,
            produce: |_, _, _| Production::Wait { finished: false },
        }
    }

    #[test]
    fn a_request_only_brings_the_streams_it_can_see_up_to_date() {
        let by_prefix = LogScope::of_request(
            "DescribeLogStreams",
            &json!({ "logGroupName": TRAINING_LOG_GROUP, "logStreamNamePrefix": "job-1/" }),
        );
        assert!(by_prefix.covers(&producer("job-1")));
        assert!(
            !by_prefix.covers(&producer("job-10")),
            "job-10/… does not start with job-1/"
        );
        let partial = LogScope::of_request(
            "FilterLogEvents",
            &json!({ "logGroupName": TRAINING_LOG_GROUP, "logStreamNamePrefix": "job-1" }),
        );
        assert!(partial.covers(&producer("job-10")));
        let other_group = LogScope::of_request(
            "FilterLogEvents",
            &json!({ "logGroupName": TRANSFORM_LOG_GROUP }),
        );
        assert!(!other_group.covers(&producer("job-1")));
        assert!(LogScope::everything().covers(&producer("anything")));
    }

    #[test]
    fn filter_terms_split_words_and_quoted_phrases() {
        assert_eq!(
            filter_terms(r#"ERROR "disk full" x"#),
            vec!["ERROR", "disk full", "x"]
        );
        assert!(filter_terms("  ").is_empty());
    }
}

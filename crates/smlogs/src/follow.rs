//! Reading a job's logs once, or until the job ends (`--follow`).

use std::time::Duration;

use crate::error::SmlogsError;
use crate::job_lookup::{JobSummary, Streams};
use crate::log_merge::StreamSet;
use crate::log_source::{LogEvent, LogSource, ReadPosition};

/// Re-reads the job's status between polls.
#[allow(async_fn_in_trait)]
pub trait StatusSource {
    async fn current(&self) -> Result<JobSummary, SmlogsError>;
}

#[derive(Clone, Debug)]
pub struct ReadOptions {
    pub follow: bool,
    pub streams: Streams,
    pub start_ms: Option<i64>,
    pub tail: Option<u32>,
    pub poll_interval: Duration,
    /// Longest pause after throttling or a transient failure.
    pub max_backoff: Duration,
}

/// Prints the job's events. Returns the number written. Without `follow`, a job without streams
/// is an error; with it, the wait goes on until the job is terminal.
pub async fn stream_job_logs(
    source: &impl LogSource,
    status: &impl StatusSource,
    first_summary: JobSummary,
    options: &ReadOptions,
    sink: &mut impl FnMut(&str, &LogEvent) -> Result<(), SmlogsError>,
    mut on_waiting: impl FnMut(&str),
    mut end_of_round: impl FnMut() -> Result<(), SmlogsError>,
) -> Result<u64, SmlogsError> {
    let group = first_summary.kind.log_group();
    let job = first_summary.sagemaker_name.clone();
    let mut streams = StreamSet::default();
    let mut summary = first_summary;
    // Counted as written (not per round) so events printed before a failed read still count.
    let written = std::cell::Cell::new(0_u64);
    let sink = &mut |stream: &str, event: &LogEvent| {
        written.set(written.get() + 1);
        sink(stream, event)
    };
    let mut tail_pending = options.tail;
    let mut said_waiting = false;
    let mut backoff = options.poll_interval;
    loop {
        // The status is read before the logs: when it says terminal, SageMaker has finished
        // writing, so the read that follows sees every event.
        let terminal = summary.is_terminal();
        let round = async {
            let mut names = source.stream_names(group, options.streams.prefix()).await?;
            names.retain(|name| options.streams.keeps(name));
            let position = match tail_pending {
                Some(count) => ReadPosition::Newest {
                    count: count as i32,
                    start_ms: options.start_ms,
                },
                None => ReadPosition::FromHead {
                    start_ms: options.start_ms,
                },
            };
            streams.add_new(names, &position);
            if streams.is_empty() {
                return Ok(None);
            }
            let count = match tail_pending {
                Some(count) => {
                    streams
                        .write_tail(source, group, count as usize, &mut *sink)
                        .await?
                }
                None => streams.write_available(source, group, &mut *sink).await?,
            };
            Ok::<_, SmlogsError>(Some(count))
        }
        .await;
        match round {
            Ok(Some(_)) => {
                tail_pending = None;
                backoff = options.poll_interval;
            }
            Ok(None) => {
                if !options.follow || terminal {
                    return Err(SmlogsError::NoLogStreams {
                        job,
                        group: group.to_owned(),
                        hint: if options.follow {
                            ""
                        } else {
                            "; run with -f to wait for them"
                        },
                    });
                }
                if !said_waiting {
                    on_waiting(&format!(
                        "No log streams for SageMaker job \"{job}\" in \"{group}\" yet; waiting for them (status \"{}\")",
                        summary.status
                    ));
                    said_waiting = true;
                }
            }
            Err(error) if options.follow && error.is_transient() => {
                // Throttled or briefly unavailable: wait longer each time, then read from where
                // the cursors stopped (they only advance past written events).
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(options.max_backoff);
                continue;
            }
            Err(error) => return Err(error),
        }
        // Followed lines are read by people as they come: hand them over after every poll.
        end_of_round()?;
        if !options.follow || terminal {
            return Ok(written.get());
        }
        tokio::time::sleep(options.poll_interval).await;
        summary = status.current().await?;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::job_lookup::JobKind;
    use crate::log_merge::tests::MemoryLogs;

    /// A status to answer with, and the (stream, timestamp) events written just before.
    type ScriptStep = (&'static str, Vec<(&'static str, i64)>);

    /// Status answers from a script; each answer may first append events, like a job that is
    /// still logging between polls.
    struct ScriptedStatus<'a> {
        logs: &'a MemoryLogs,
        steps: RefCell<Vec<ScriptStep>>,
    }

    fn summary(status: &str) -> JobSummary {
        JobSummary {
            kind: JobKind::TrainingJob,
            object_name: "o".into(),
            sagemaker_name: "j".into(),
            region: "r".into(),
            status: status.into(),
            secondary_status: None,
        }
    }

    impl StatusSource for ScriptedStatus<'_> {
        async fn current(&self) -> Result<JobSummary, SmlogsError> {
            let (status, events) = self.steps.borrow_mut().remove(0);
            for (stream, t) in events {
                self.logs.push(stream, t, &format!("{stream}:{t}"));
            }
            Ok(summary(status))
        }
    }

    fn options(follow: bool) -> ReadOptions {
        ReadOptions {
            follow,
            streams: Streams::Prefixed("j/".into()),
            start_ms: None,
            tail: None,
            poll_interval: Duration::from_millis(1),
            max_backoff: Duration::from_millis(4),
        }
    }

    #[tokio::test]
    async fn follow_prints_every_event_once_and_stops_after_the_terminal_read() {
        let logs = MemoryLogs {
            page_size: Some(2),
            ..Default::default()
        };
        let status = ScriptedStatus {
            logs: &logs,
            steps: RefCell::new(vec![
                ("InProgress", vec![("j/algo-1", 1), ("j/algo-1", 2)]),
                (
                    "InProgress",
                    vec![
                        ("j/algo-2", 2),
                        ("j/algo-1", 3),
                        ("j/algo-1", 4),
                        ("j/algo-1", 5),
                    ],
                ),
                // Events written before the job turned terminal must still be printed.
                ("Completed", vec![("j/algo-2", 9)]),
            ]),
        };
        let mut seen = Vec::new();
        let mut waits = 0;
        let count = stream_job_logs(
            &logs,
            &status,
            summary("InProgress"),
            &options(true),
            &mut |stream, event| {
                seen.push(format!("{stream}:{}", event.timestamp_ms));
                Ok(())
            },
            |_| waits += 1,
            || Ok(()),
        )
        .await
        .unwrap();
        assert_eq!(waits, 1, "the first poll had no streams yet");
        assert_eq!(count, 7);
        assert_eq!(
            seen,
            [
                "j/algo-1:1",
                "j/algo-1:2",
                "j/algo-2:2",
                "j/algo-1:3",
                "j/algo-1:4",
                "j/algo-1:5",
                "j/algo-2:9"
            ]
        );
        assert!(status.steps.borrow().is_empty());
    }

    #[tokio::test]
    async fn without_follow_no_streams_is_an_error_that_suggests_follow() {
        let logs = MemoryLogs::default();
        let status = ScriptedStatus {
            logs: &logs,
            steps: RefCell::new(vec![]),
        };
        let error = stream_job_logs(
            &logs,
            &status,
            summary("InProgress"),
            &options(false),
            &mut |_, _| Ok(()),
            |_| {},
            || Ok(()),
        )
        .await
        .unwrap_err();
        assert!(error.to_string().contains("no log streams"), "{error}");
        assert!(error.to_string().contains("-f"), "{error}");
    }

    #[tokio::test]
    async fn throttling_in_follow_mode_is_retried_without_loss() {
        let logs = MemoryLogs {
            page_size: Some(1),
            ..Default::default()
        };
        for t in 0..4 {
            logs.push("j/algo-1", t, "x");
        }
        *logs.fail_next_reads.borrow_mut() = 3;
        let status = ScriptedStatus {
            logs: &logs,
            steps: RefCell::new(vec![]),
        };
        let mut seen = Vec::new();
        let count = stream_job_logs(
            &logs,
            &status,
            summary("Completed"),
            &options(true),
            &mut |_, e| {
                seen.push(e.timestamp_ms);
                Ok(())
            },
            |_| {},
            || Ok(()),
        )
        .await
        .unwrap();
        assert_eq!((count, seen), (4, vec![0, 1, 2, 3]));
    }
}

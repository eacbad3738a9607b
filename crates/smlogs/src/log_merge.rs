//! Reads every stream of a job and writes their events merged in timestamp order.
//!
//! Each stream is read with GetLogEvents forward tokens, so a stream's position only moves past
//! events that were handed to the sink: across polls nothing is read twice and nothing is
//! skipped, without remembering printed events. Memory is one page per stream (plus the `--tail`
//! window), whatever the number of events.

use std::collections::VecDeque;

use crate::error::SmlogsError;
use crate::log_source::{LogEvent, LogSource, ReadPosition};

/// Events per GetLogEvents page while streaming. Small enough to keep memory flat, large enough
/// that a 100k-event job needs few round trips.
pub const PAGE_SIZE: i32 = 2_000;

/// Reading state of one stream.
#[derive(Debug)]
pub struct StreamCursor {
    pub name: String,
    position: ReadPosition,
    buffered: VecDeque<LogEvent>,
    /// The last read returned nothing: the stream has no more events this round.
    caught_up: bool,
}

impl StreamCursor {
    pub fn new(name: String, position: ReadPosition) -> Self {
        Self {
            name,
            position,
            buffered: VecDeque::new(),
            caught_up: false,
        }
    }

    async fn fill(&mut self, source: &impl LogSource, group: &str) -> Result<(), SmlogsError> {
        if !self.buffered.is_empty() || self.caught_up {
            return Ok(());
        }
        let page = source
            .read_page(group, &self.name, &self.position, PAGE_SIZE)
            .await?;
        // Position and buffer change together, after the call succeeded, so an error leaves the
        // cursor where it was and the next attempt reads the same page again.
        if !page.next_forward_token.is_empty() {
            self.position = ReadPosition::After {
                token: page.next_forward_token,
                start_ms: self.position.start_ms(),
            };
        }
        self.caught_up = page.events.is_empty();
        self.buffered.extend(page.events);
        Ok(())
    }
}

/// The set of streams being read, ordered by name so ties in time print in a stable order.
#[derive(Debug, Default)]
pub struct StreamSet {
    cursors: Vec<StreamCursor>,
}

impl StreamSet {
    pub fn is_empty(&self) -> bool {
        self.cursors.is_empty()
    }

    pub fn len(&self) -> usize {
        self.cursors.len()
    }

    /// Adds the streams not read yet, each starting at `position`.
    pub fn add_new(&mut self, names: impl IntoIterator<Item = String>, position: &ReadPosition) {
        for name in names {
            if let Err(index) = self
                .cursors
                .binary_search_by(|cursor| cursor.name.cmp(&name))
            {
                self.cursors
                    .insert(index, StreamCursor::new(name, position.clone()));
            }
        }
    }

    /// `--tail N`: reads the newest `count` events of each stream (one page each), writes the
    /// newest `count` of all of them in time order, and leaves every stream positioned after
    /// what it read.
    pub async fn write_tail(
        &mut self,
        source: &impl LogSource,
        group: &str,
        count: usize,
        sink: &mut impl FnMut(&str, &LogEvent) -> Result<(), SmlogsError>,
    ) -> Result<u64, SmlogsError> {
        let mut window: Vec<(usize, LogEvent)> = Vec::new();
        for (index, cursor) in self.cursors.iter_mut().enumerate() {
            cursor.fill(source, group).await?;
            window.extend(cursor.buffered.drain(..).map(|event| (index, event)));
            cursor.caught_up = false;
        }
        // Stable sort: stream order (already by name) and then read order break ties.
        window.sort_by_key(|(index, event)| (event.timestamp_ms, *index));
        let skip = window.len().saturating_sub(count);
        let mut written = 0;
        for (index, event) in window.into_iter().skip(skip) {
            sink(&self.cursors[index].name, &event)?;
            written += 1;
        }
        Ok(written)
    }

    /// Writes every event available now, in timestamp order across streams (ties: stream name,
    /// then the stream's own order), and returns how many.
    pub async fn write_available(
        &mut self,
        source: &impl LogSource,
        group: &str,
        sink: &mut impl FnMut(&str, &LogEvent) -> Result<(), SmlogsError>,
    ) -> Result<u64, SmlogsError> {
        for cursor in &mut self.cursors {
            cursor.caught_up = false;
            cursor.fill(source, group).await?;
        }
        let mut written = 0;
        loop {
            // Few streams (one per instance): a scan is cheaper and simpler than a heap.
            let next = self
                .cursors
                .iter()
                .enumerate()
                .filter_map(|(index, cursor)| {
                    cursor
                        .buffered
                        .front()
                        .map(|event| (event.timestamp_ms, index))
                })
                .min();
            let Some((_, index)) = next else { break };
            let cursor = &mut self.cursors[index];
            let event = cursor.buffered.pop_front().expect("front was just seen");
            sink(&cursor.name, &event)?;
            written += 1;
            if cursor.buffered.is_empty() {
                // The next page can hold events older than other streams' heads: read it before
                // choosing again.
                cursor.fill(source, group).await?;
            }
        }
        Ok(written)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::*;
    use crate::log_source::EventPage;

    /// Streams in memory with CloudWatch's token behaviour ("position after the page").
    #[derive(Default)]
    pub struct MemoryLogs {
        pub streams: RefCell<BTreeMap<String, Vec<LogEvent>>>,
        pub fail_next_reads: RefCell<u32>,
        pub page_size: Option<usize>,
    }

    impl MemoryLogs {
        pub fn push(&self, stream: &str, timestamp_ms: i64, message: &str) {
            self.streams
                .borrow_mut()
                .entry(stream.to_owned())
                .or_default()
                .push(LogEvent {
                    timestamp_ms,
                    ingestion_ms: timestamp_ms,
                    message: message.to_owned(),
                });
        }
    }

    impl LogSource for MemoryLogs {
        async fn stream_names(
            &self,
            _group: &str,
            prefix: &str,
        ) -> Result<Vec<String>, SmlogsError> {
            Ok(self
                .streams
                .borrow()
                .keys()
                .filter(|name| name.starts_with(prefix))
                .cloned()
                .collect())
        }

        async fn read_page(
            &self,
            _group: &str,
            stream: &str,
            position: &ReadPosition,
            limit: i32,
        ) -> Result<EventPage, SmlogsError> {
            {
                let mut failures = self.fail_next_reads.borrow_mut();
                if *failures > 0 {
                    *failures -= 1;
                    return Err(SmlogsError::CloudWatch {
                        operation: "GetLogEvents",
                        message: "ThrottlingException: Rate exceeded".into(),
                    });
                }
            }
            let streams = self.streams.borrow();
            let events = &streams[stream];
            let limit = self.page_size.unwrap_or(limit as usize);
            let (from, to) = match position {
                ReadPosition::FromHead { start_ms } => {
                    let from = events
                        .iter()
                        .take_while(|e| Some(e.timestamp_ms) < *start_ms)
                        .count();
                    (from, (from + limit).min(events.len()))
                }
                ReadPosition::Newest { count, .. } => {
                    (events.len().saturating_sub(*count as usize), events.len())
                }
                ReadPosition::After { token, .. } => {
                    let from: usize = token.parse().unwrap();
                    (from, (from + limit).min(events.len()))
                }
            };
            Ok(EventPage {
                events: events[from..to].to_vec(),
                next_forward_token: to.to_string(),
            })
        }
    }

    fn collect() -> (RefCell<Vec<String>>, impl Fn(&str, &LogEvent) -> String) {
        (
            RefCell::new(Vec::new()),
            |stream: &str, event: &LogEvent| {
                format!("{stream}@{}:{}", event.timestamp_ms, event.message)
            },
        )
    }

    async fn write_all(set: &mut StreamSet, logs: &MemoryLogs) -> Vec<String> {
        let (lines, render) = collect();
        set.write_available(logs, "g", &mut |stream, event| {
            lines.borrow_mut().push(render(stream, event));
            Ok(())
        })
        .await
        .unwrap();
        lines.into_inner()
    }

    fn start() -> ReadPosition {
        ReadPosition::FromHead { start_ms: None }
    }

    #[tokio::test]
    async fn merges_streams_by_time_with_ties_in_stream_order() {
        let logs = MemoryLogs {
            page_size: Some(2),
            ..Default::default()
        };
        logs.push("j/algo-2", 1, "b1");
        logs.push("j/algo-2", 3, "b3");
        logs.push("j/algo-2", 3, "b3'");
        logs.push("j/algo-1", 2, "a2");
        logs.push("j/algo-1", 3, "a3");
        logs.push("j/algo-1", 9, "a9");
        let mut set = StreamSet::default();
        set.add_new(logs.stream_names("g", "j/").await.unwrap(), &start());
        let lines = write_all(&mut set, &logs).await;
        assert_eq!(
            lines,
            [
                "j/algo-2@1:b1",
                "j/algo-1@2:a2",
                "j/algo-1@3:a3",
                "j/algo-2@3:b3",
                "j/algo-2@3:b3'",
                "j/algo-1@9:a9"
            ]
        );
    }

    #[tokio::test]
    async fn later_rounds_print_only_new_events_and_new_streams() {
        let logs = MemoryLogs {
            page_size: Some(3),
            ..Default::default()
        };
        logs.push("j/algo-1", 1, "first");
        let mut set = StreamSet::default();
        set.add_new(logs.stream_names("g", "j/").await.unwrap(), &start());
        assert_eq!(write_all(&mut set, &logs).await, ["j/algo-1@1:first"]);
        assert!(
            write_all(&mut set, &logs).await.is_empty(),
            "nothing new, nothing printed"
        );
        logs.push("j/algo-1", 2, "second");
        logs.push("j/algo-2", 2, "other");
        set.add_new(logs.stream_names("g", "j/").await.unwrap(), &start());
        assert_eq!(
            write_all(&mut set, &logs).await,
            ["j/algo-1@2:second", "j/algo-2@2:other"]
        );
    }

    #[tokio::test]
    async fn a_failed_read_loses_and_repeats_nothing() {
        let logs = MemoryLogs {
            page_size: Some(2),
            ..Default::default()
        };
        for t in 0..7 {
            logs.push("j/algo-1", t, &format!("e{t}"));
        }
        let mut set = StreamSet::default();
        set.add_new(logs.stream_names("g", "j/").await.unwrap(), &start());
        let mut printed = Vec::new();
        // The second page read fails; the round is retried like follow mode does.
        let first = set
            .write_available(&logs, "g", &mut |_, event| {
                printed.push(event.timestamp_ms);
                if event.timestamp_ms == 1 {
                    *logs.fail_next_reads.borrow_mut() = 1;
                }
                Ok(())
            })
            .await;
        assert!(first.unwrap_err().is_transient());
        set.write_available(&logs, "g", &mut |_, event| {
            printed.push(event.timestamp_ms);
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(printed, (0..7).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn tail_keeps_the_newest_across_streams_then_continues() {
        let logs = MemoryLogs::default();
        for t in 0..5 {
            logs.push("j/algo-1", t * 2, &format!("a{t}"));
            logs.push("j/algo-2", t * 2 + 1, &format!("b{t}"));
        }
        let mut set = StreamSet::default();
        set.add_new(
            logs.stream_names("g", "j/").await.unwrap(),
            &ReadPosition::Newest {
                count: 3,
                start_ms: None,
            },
        );
        let mut tail = Vec::new();
        set.write_tail(&logs, "g", 3, &mut |_, event| {
            tail.push(event.message.clone());
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(tail, ["b3", "a4", "b4"]);
        logs.push("j/algo-1", 20, "after");
        assert_eq!(write_all(&mut set, &logs).await, ["j/algo-1@20:after"]);
    }
}

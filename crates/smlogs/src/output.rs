//! How one event is printed: `<stream> <time> <message>` (the guide's layout), or JSON lines.

use std::io::Write;

use clap::ValueEnum;
use jiff::Timestamp;

use crate::error::SmlogsError;
use crate::log_source::LogEvent;

/// `--timestamps`: how the time column is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TimestampFormat {
    /// `2019-11-20 23:45:24.7 +0000 UTC`, as in the user guide (fraction without trailing zeros).
    Utc,
    /// `2019-11-20T23:45:24.700Z`.
    Rfc3339,
    /// Milliseconds since the Unix epoch, as CloudWatch stores them.
    EpochMillis,
    /// No time column.
    None,
}

/// `-o/--output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One line per event: stream, time, message.
    Text,
    /// One JSON object per line: logStreamName, timestamp, time, ingestionTime, message.
    Json,
}

#[derive(Clone, Copy, Debug)]
pub struct LineFormat {
    pub output: OutputFormat,
    pub timestamps: TimestampFormat,
    pub hide_log_stream_name: bool,
}

fn split_millis(epoch_ms: i64) -> (i64, i64) {
    (epoch_ms.div_euclid(1000), epoch_ms.rem_euclid(1000))
}

/// The guide's time layout: seconds, then a fraction only as long as it needs to be.
pub fn format_utc(epoch_ms: i64) -> String {
    let (seconds, millis) = split_millis(epoch_ms);
    let Ok(time) = Timestamp::from_second(seconds) else {
        return epoch_ms.to_string();
    };
    let mut text = time.strftime("%Y-%m-%d %H:%M:%S").to_string();
    if millis != 0 {
        let fraction = format!("{millis:03}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text.push_str(" +0000 UTC");
    text
}

pub fn format_rfc3339(epoch_ms: i64) -> String {
    let (seconds, millis) = split_millis(epoch_ms);
    match Timestamp::from_second(seconds) {
        Ok(time) => format!("{}.{millis:03}Z", time.strftime("%Y-%m-%dT%H:%M:%S")),
        Err(_) => epoch_ms.to_string(),
    }
}

impl LineFormat {
    pub fn write_event(
        &self,
        out: &mut impl Write,
        stream: &str,
        event: &LogEvent,
    ) -> Result<(), SmlogsError> {
        match self.output {
            OutputFormat::Json => {
                let mut object = serde_json::Map::new();
                if !self.hide_log_stream_name {
                    object.insert("logStreamName".into(), stream.into());
                }
                object.insert("timestamp".into(), event.timestamp_ms.into());
                object.insert("time".into(), format_rfc3339(event.timestamp_ms).into());
                object.insert("ingestionTime".into(), event.ingestion_ms.into());
                object.insert("message".into(), event.message.as_str().into());
                serde_json::to_writer(&mut *out, &serde_json::Value::Object(object))
                    .map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
            }
            OutputFormat::Text => {
                if !self.hide_log_stream_name {
                    out.write_all(stream.as_bytes())?;
                    out.write_all(b" ")?;
                }
                match self.timestamps {
                    TimestampFormat::Utc => write!(out, "{} ", format_utc(event.timestamp_ms))?,
                    TimestampFormat::Rfc3339 => {
                        write!(out, "{} ", format_rfc3339(event.timestamp_ms))?
                    }
                    TimestampFormat::EpochMillis => write!(out, "{} ", event.timestamp_ms)?,
                    TimestampFormat::None => {}
                }
                // CloudWatch messages often keep the program's trailing newline; one line each.
                out.write_all(event.message.trim_end_matches(['\n', '\r']).as_bytes())?;
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(ms: i64, message: &str) -> LogEvent {
        LogEvent {
            timestamp_ms: ms,
            ingestion_ms: ms + 5,
            message: message.into(),
        }
    }

    #[test]
    fn utc_format_matches_the_guide_and_trims_the_fraction() {
        // 2019-11-20 23:45:24.700 UTC, the guide's example line.
        assert_eq!(
            format_utc(1_574_293_524_700),
            "2019-11-20 23:45:24.7 +0000 UTC"
        );
        assert_eq!(
            format_utc(1_574_293_524_000),
            "2019-11-20 23:45:24 +0000 UTC"
        );
        assert_eq!(
            format_utc(1_574_293_524_123),
            "2019-11-20 23:45:24.123 +0000 UTC"
        );
        assert_eq!(
            format_utc(1_574_293_524_050),
            "2019-11-20 23:45:24.05 +0000 UTC"
        );
    }

    #[test]
    fn text_line_is_stream_time_message() {
        let format = LineFormat {
            output: OutputFormat::Text,
            timestamps: TimestampFormat::Utc,
            hide_log_stream_name: false,
        };
        let mut out = Vec::new();
        format
            .write_event(
                &mut out,
                "job/algo-1-1",
                &event(1_574_293_524_700, "Arguments: train\n"),
            )
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "job/algo-1-1 2019-11-20 23:45:24.7 +0000 UTC Arguments: train\n"
        );
    }

    #[test]
    fn hidden_stream_and_no_time_leave_the_message() {
        let format = LineFormat {
            output: OutputFormat::Text,
            timestamps: TimestampFormat::None,
            hide_log_stream_name: true,
        };
        let mut out = Vec::new();
        format
            .write_event(&mut out, "job/algo-1-1", &event(1, "hello"))
            .unwrap();
        assert_eq!(out, b"hello\n");
    }

    #[test]
    fn json_line_has_every_field() {
        let format = LineFormat {
            output: OutputFormat::Json,
            timestamps: TimestampFormat::Utc,
            hide_log_stream_name: false,
        };
        let mut out = Vec::new();
        format
            .write_event(
                &mut out,
                "job/algo-2-1",
                &event(1_574_293_524_700, "a \"quoted\" line"),
            )
            .unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["logStreamName"], "job/algo-2-1");
        assert_eq!(value["timestamp"], 1_574_293_524_700_i64);
        assert_eq!(value["time"], "2019-11-20T23:45:24.700Z");
        assert_eq!(value["ingestionTime"], 1_574_293_524_705_i64);
        assert_eq!(value["message"], "a \"quoted\" line");
    }
}

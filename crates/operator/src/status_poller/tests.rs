//! The poller's pure parts as tables: the registry's wake-ups, `must_describe`, pacing and
//! the watermark.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

fn at(seconds: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_800_000_000 + seconds).unwrap()
}

#[test]
fn a_wake_up_that_finds_nothing_new_keeps_the_look_again_time() {
    let now = Instant::now();
    let seen = |look_again_at| Observation {
        generation: Some(1),
        modified: None,
        look_again_at,
    };
    let in_5s = now + Duration::from_secs(5);
    // (case, what the last Describe saw, when to come back)
    let table: [(&str, Option<Observation>, Option<Duration>); 4] = [
        ("never observed", None, None),
        ("settled: only a change wakes it", Some(seen(None)), None),
        (
            "a look-again time ahead (a group still Pending, Debugger rules running)",
            Some(seen(Some(in_5s))),
            Some(Duration::from_secs(5)),
        ),
        (
            "a look-again time passed (must_describe describes it; never negative)",
            Some(seen(Some(now))),
            Some(Duration::ZERO),
        ),
    ];
    for (case, observed, expected) in table {
        assert_eq!(look_again_in(observed.as_ref(), now), expected, "{case}");
    }
}

#[test]
fn when_a_reconcile_describes_and_when_the_status_is_still_the_truth() {
    let now = Instant::now();
    let seen = |generation, modified, look_again_at| Observation {
        generation: Some(generation),
        modified,
        look_again_at,
    };
    // (case, what the last Describe saw, newest listed change, generation, Describe?)
    type Row = (
        &'static str,
        Option<Observation>,
        Option<jiff::Timestamp>,
        i64,
        bool,
    );
    let table: Vec<Row> = vec![
        (
            "never observed (new object, or since a restart)",
            None,
            None,
            1,
            true,
        ),
        (
            "the operator's own write woke it",
            Some(seen(1, Some(at(10)), None)),
            None,
            1,
            false,
        ),
        (
            "spec edited (or deleted: the generation moves)",
            Some(seen(1, Some(at(10)), None)),
            None,
            2,
            true,
        ),
        (
            "a stale cached copy, older than what was observed",
            Some(seen(2, Some(at(10)), None)),
            Some(at(11)),
            1,
            false,
        ),
        (
            "the poller listed a newer change",
            Some(seen(1, Some(at(10)), None)),
            Some(at(11)),
            1,
            true,
        ),
        (
            "the listed change is the one already described (its own create)",
            Some(seen(1, Some(at(10)), None)),
            Some(at(10)),
            1,
            false,
        ),
        (
            "an older listing (the watermark overlap)",
            Some(seen(1, Some(at(10)), None)),
            Some(at(9)),
            1,
            false,
        ),
        (
            "a kind whose Describe has no time: any listing counts",
            Some(seen(1, None, None)),
            Some(at(9)),
            1,
            true,
        ),
        (
            "finished, rules still evaluated: time to look again",
            Some(seen(1, Some(at(10)), Some(now))),
            None,
            1,
            true,
        ),
        (
            "finished, rules still evaluated: not yet",
            Some(seen(1, Some(at(10)), Some(now + Duration::from_secs(30)))),
            None,
            1,
            false,
        ),
    ];
    for (case, observed, listed, generation, expected) in table {
        assert_eq!(
            must_describe(observed.as_ref(), listed, Some(generation), now),
            expected,
            "{case}"
        );
    }
}

#[test]
fn the_watermark_rereads_a_new_change_once_then_moves_past_it() {
    let start = Watermark {
        after: at(0),
        newest: None,
    };
    // Nothing listed yet: stay.
    assert_eq!(start.advance([]), (start, false));
    // A burst of changes: resume just before the newest, so its second is read again.
    let (burst, new) = start.advance([at(5), at(9), at(7)]);
    assert!(new);
    assert_eq!(
        burst,
        Watermark {
            after: at(8),
            newest: Some(at(9))
        }
    );
    // The overlap read again, nothing new: move past it, and the round after lists nothing.
    let (quiet, new) = burst.advance([at(9), at(8)]);
    assert!(!new);
    assert_eq!(
        quiet,
        Watermark {
            after: at(9),
            newest: Some(at(9))
        }
    );
    assert_eq!(quiet.advance([]), (quiet, false));
    // An older change found by the safety re-list wakes its object but moves nothing.
    assert_eq!(quiet.advance([at(3)]), (quiet, false));
    // A newer change: a new overlap.
    let (later, new) = quiet.advance([at(20)]);
    assert!(new);
    assert_eq!(
        later,
        Watermark {
            after: at(19),
            newest: Some(at(20))
        }
    );
}

#[test]
fn the_poller_slows_down_while_nothing_changes_and_tightens_on_a_change() {
    let settings = PollerSettings::new(
        Duration::from_millis(500),
        Duration::from_secs(4),
        Duration::from_secs(300),
        4.0,
    );
    let mut pause = settings.fastest;
    let mut pauses = Vec::new();
    for _ in 0..5 {
        pause = next_pause(pause, false, &settings);
        pauses.push(pause.as_millis());
    }
    assert_eq!(pauses, [1000, 2000, 4000, 4000, 4000]);
    assert_eq!(next_pause(pause, true, &settings), settings.fastest);
}

#[test]
fn a_listed_change_wakes_an_object_once_and_never_for_what_it_has_seen() {
    use k8s_openapi::api::core::v1::ConfigMap;
    let registry = Registry::<ConfigMap>::default();
    let here = ApiLocation {
        region: "us-west-2".into(),
        endpoint: None,
    };
    let object = ObjectRef::<ConfigMap>::new("job").within("ns");
    // Someone else's resource in the account: never ours to wake.
    assert!(registry.listed_change(&here, "other", at(1)).is_none());
    registry.register(&here, "job-1", object.clone());
    // Registered before its create: its first listing wakes it ...
    assert_eq!(
        registry.listed_change(&here, "job-1", at(1)),
        Some(object.clone())
    );
    // ... once, even when the watermark overlap lists it again.
    assert!(registry.listed_change(&here, "job-1", at(1)).is_none());
    // The reconcile's Describe covers it and saw a newer state still.
    let covered = registry.take_listed(&object);
    assert_eq!(covered, Some(at(1)));
    registry.record(
        object.clone(),
        Observation {
            generation: Some(1),
            modified: Some(at(3)),
            look_again_at: None,
        },
        covered,
    );
    assert!(
        registry.listed_change(&here, "job-1", at(3)).is_none(),
        "already described"
    );
    assert_eq!(
        registry.listed_change(&here, "job-1", at(4)),
        Some(object.clone())
    );
    assert_eq!(registry.observation(&object).1, Some(at(4)));
    // Finished: forgotten, so nothing is kept for it.
    registry.forget(&here, "job-1");
    assert_eq!(registry.observation(&object), (None, None));
    assert!(registry.listed_change(&here, "job-1", at(5)).is_none());
    assert!(registry.locations().is_empty());
}

#[tokio::test]
async fn a_poller_that_dies_is_restarted_and_counted() {
    let starts = Arc::new(AtomicUsize::new(0));
    let (done, mut finished) = mpsc::unbounded_channel();
    let counted = starts.clone();
    supervise(
        "PollerRestartTestKind",
        Duration::from_millis(10),
        move || {
            let attempt = counted.fetch_add(1, Ordering::SeqCst);
            let done = done.clone();
            async move {
                if attempt < 2 {
                    panic!("poller bug number {attempt}");
                }
                done.send(attempt).unwrap();
            }
        },
    );
    let attempt = tokio::time::timeout(Duration::from_secs(10), finished.recv())
        .await
        .expect("the poller came back")
        .unwrap();
    assert_eq!(attempt, 2, "two deaths, then a third start that runs");
    assert_eq!(
        starts.load(Ordering::SeqCst),
        3,
        "a task that returns is not restarted"
    );
    let text = crate::metrics::global().render();
    assert!(
        text.contains(
            "sagemaker_operator_status_poller_restarts_total{kind=\"PollerRestartTestKind\"} 2"
        ),
        "{text}"
    );
}

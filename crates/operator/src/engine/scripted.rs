//! Test support for the decision cores: runs a core the way its executor does, against scripted
//! SageMaker answers, and returns the steps it took — the call sequence of one reconcile.

use std::fmt::Debug;

/// Runs `next` on `facts` until it returns a step that makes no call (`call_of` is `None`);
/// each call takes the next reply, which `apply` records in the facts. Fails when replies are
/// missing or left over, or when the core loops.
pub fn run_script<F: Debug, S: Copy + Debug, C: Copy, R: Debug>(
    mut facts: F,
    replies: &[R],
    next: fn(&F) -> S,
    call_of: fn(S) -> Option<C>,
    apply: fn(&mut F, C, &R),
) -> Vec<S> {
    let mut replies = replies.iter();
    let mut steps = Vec::new();
    loop {
        let step = next(&facts);
        steps.push(step);
        let Some(call) = call_of(step) else {
            assert!(replies.next().is_none(), "replies left after {steps:?}");
            return steps;
        };
        let reply = replies
            .next()
            .unwrap_or_else(|| panic!("no reply for {step:?} after {steps:?} ({facts:?})"));
        apply(&mut facts, call, reply);
        assert!(steps.len() < 12, "the core loops: {steps:?}");
    }
}

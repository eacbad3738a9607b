//! The HostingDeployment rules as tables: one row per situation (what the record says, what
//! SageMaker reports), with the decision and the record that must come out.

use sagemaker_k8s_aws::hosting::VariantDescription;

use super::*;

/// The spec as it is now: generation 3.
fn desired() -> Deployment {
    deployment(3, "shape-a")
}

/// Generation `generation` with its own spec and config; `shape` decides whether a
/// weights-only update can reach it.
fn deployment(generation: i64, shape: &str) -> Deployment {
    Deployment {
        generation,
        spec_hash: format!("spec-{generation}"),
        shape_hash: shape.into(),
        endpoint_config_name: format!("config-{generation}"),
        model_names: Vec::new(),
    }
}

fn endpoint(status: &str, config: &str) -> EndpointDescription {
    EndpointDescription {
        name: "endpoint".into(),
        status: status.into(),
        config_name: config.into(),
        ..Default::default()
    }
}

fn failing(endpoint: EndpointDescription, reason: &str) -> EndpointDescription {
    EndpointDescription {
        failure_reason: Some(reason.into()),
        ..endpoint
    }
}

/// An endpoint whose one variant runs `instances` instances at weight 1.
fn with_instances(endpoint: EndpointDescription, instances: i64) -> EndpointDescription {
    EndpointDescription {
        variants: vec![VariantDescription {
            name: "all-traffic".into(),
            current_weight: Some(1.0),
            current_instance_count: Some(instances),
            ..Default::default()
        }],
        ..endpoint
    }
}

/// What a weights-only update to two instances sent.
fn two_instances() -> Vec<VariantCapacity> {
    vec![VariantCapacity {
        variant_name: "all-traffic".into(),
        weight: 1.0,
        instance_count: Some(2),
    }]
}

fn failure(generation: i64, spec_hash: &str, reason: &str) -> FailedDeployment {
    FailedDeployment {
        generation,
        spec_hash: spec_hash.into(),
        reason: reason.into(),
    }
}

fn state(
    deployed: Option<Deployment>,
    in_flight: Option<InFlight>,
    failed: Option<FailedDeployment>,
) -> HostingState {
    HostingState {
        deployed,
        in_flight,
        failed,
    }
}

#[test]
fn without_an_endpoint_the_spec_is_created_unless_it_was_refused() {
    let refused = state(None, None, Some(failure(3, "spec-3", "bad role")));
    let older_refused = state(None, None, Some(failure(2, "spec-2", "bad role")));
    let cases = [
        (
            "nothing recorded",
            HostingState::default(),
            Decision::Create,
        ),
        ("this spec was refused", refused, Decision::AwaitSpecChange),
        ("an older spec was refused", older_refused, Decision::Create),
    ];
    for (what, recorded, expected) in cases {
        assert_eq!(decide(&recorded, &desired(), None), expected, "{what}");
    }
}

#[test]
fn an_endpoint_in_transition_is_left_to_sagemaker() {
    for status in [
        "Creating",
        "Updating",
        "SystemUpdating",
        "RollingBack",
        "Deleting",
        "OutOfService",
    ] {
        let remote = endpoint(status, "config-3");
        assert_eq!(
            decide(&HostingState::default(), &desired(), Some(&remote)),
            Decision::AwaitSageMaker(&remote),
            "{status}"
        );
    }
}

#[test]
fn an_in_service_endpoint_settles_what_was_in_flight_and_starts_what_the_spec_needs() {
    let old = deployment(2, "shape-b");
    let old_same_shape = deployment(2, "shape-a");
    let weights_update = in_flight_with_new_weights(&old_same_shape, &desired(), &two_instances());
    let deployed_by_weights = weights_update.deployment.clone();
    let unknown = |config: &str| Deployment {
        endpoint_config_name: config.into(),
        ..Deployment::default()
    };
    let returned = "the endpoint returned to endpoint config config-2";
    #[rustfmt::skip]
    let cases = [
        (
            "a create in flight has finished",
            state(None, Some(in_flight_with_new_config(&desired())), None),
            endpoint("InService", "config-3"),
            InService { state: state(Some(desired()), None, None), settled: Some(Settlement::Deployed { generation: 3 }), clean_up: true, update: None },
        ),
        (
            "an update to a new config was rolled back, with SageMaker's reason",
            state(Some(old.clone()), Some(in_flight_with_new_config(&desired())), None),
            failing(endpoint("InService", "config-2"), "image not found"),
            InService { state: state(Some(old.clone()), None, Some(failure(3, "spec-3", "image not found"))), settled: Some(Settlement::RolledBack { generation: 3, reason: "image not found".into() }), clean_up: true, update: None },
        ),
        (
            "an update to a new config was rolled back, without a reason",
            state(Some(old.clone()), Some(in_flight_with_new_config(&desired())), None),
            endpoint("InService", "config-2"),
            InService { state: state(Some(old.clone()), None, Some(failure(3, "spec-3", returned))), settled: Some(Settlement::RolledBack { generation: 3, reason: returned.into() }), clean_up: true, update: None },
        ),
        (
            "a weights-only update took",
            state(Some(old_same_shape.clone()), Some(weights_update.clone()), None),
            with_instances(endpoint("InService", "config-2"), 2),
            InService { state: state(Some(deployed_by_weights), None, None), settled: Some(Settlement::Deployed { generation: 3 }), clean_up: true, update: None },
        ),
        (
            "a weights-only update SageMaker rolled back",
            state(Some(old_same_shape.clone()), Some(weights_update), None),
            with_instances(endpoint("InService", "config-2"), 1),
            InService { state: state(Some(old_same_shape.clone()), None, Some(failure(3, "spec-3", returned))), settled: Some(Settlement::RolledBack { generation: 3, reason: returned.into() }), clean_up: true, update: None },
        ),
        (
            "nothing recorded and this generation's config runs (a crash after the create): adopted",
            HostingState::default(),
            endpoint("InService", "config-3"),
            InService { state: state(Some(desired()), None, None), settled: None, clean_up: true, update: None },
        ),
        (
            "nothing recorded and another config runs: adopted, then replaced",
            HostingState::default(),
            endpoint("InService", "config-1"),
            InService { state: state(Some(unknown("config-1")), None, None), settled: None, clean_up: true, update: Some(Update::NewEndpointConfig) },
        ),
        (
            "the record names another config than what runs: what runs wins",
            state(Some(old.clone()), None, None),
            endpoint("InService", "config-1"),
            InService { state: state(Some(unknown("config-1")), None, None), settled: None, clean_up: true, update: Some(Update::NewEndpointConfig) },
        ),
        (
            "the spec runs: nothing to do",
            state(Some(desired()), None, None),
            endpoint("InService", "config-3"),
            InService { state: state(Some(desired()), None, None), settled: None, clean_up: false, update: None },
        ),
        (
            "a spec reverted to what runs clears the failure of the edit",
            state(Some(desired()), None, Some(failure(4, "spec-4", "bad image"))),
            endpoint("InService", "config-3"),
            InService { state: state(Some(desired()), None, None), settled: None, clean_up: false, update: None },
        ),
        (
            "only weights or instance counts changed: weights-only update",
            state(Some(old_same_shape.clone()), None, None),
            endpoint("InService", "config-2"),
            InService { state: state(Some(old_same_shape.clone()), None, None), settled: None, clean_up: false, update: Some(Update::WeightsAndCapacities) },
        ),
        (
            "anything else changed: new endpoint config",
            state(Some(old.clone()), None, None),
            endpoint("InService", "config-2"),
            InService { state: state(Some(old.clone()), None, None), settled: None, clean_up: false, update: Some(Update::NewEndpointConfig) },
        ),
        (
            "this spec failed before: it is not sent again",
            state(Some(old.clone()), None, Some(failure(3, "spec-3", "bad image"))),
            endpoint("InService", "config-2"),
            InService { state: state(Some(old.clone()), None, Some(failure(3, "spec-3", "bad image"))), settled: None, clean_up: false, update: None },
        ),
        (
            "an older spec failed: the current one is sent",
            state(Some(old.clone()), None, Some(failure(2, "spec-x", "bad image"))),
            endpoint("InService", "config-2"),
            InService { state: state(Some(old), None, Some(failure(2, "spec-x", "bad image"))), settled: None, clean_up: false, update: Some(Update::NewEndpointConfig) },
        ),
    ];
    for (what, recorded, remote, expected) in cases {
        assert_eq!(
            decide(&recorded, &desired(), Some(&remote)),
            Decision::InService(&remote, expected),
            "{what}"
        );
    }
}

#[test]
fn a_failed_endpoint_is_kept_for_the_spec_that_failed_and_deleted_for_a_corrected_one() {
    let old = deployment(2, "shape-b");
    #[rustfmt::skip]
    let cases = [
        (
            "the create in flight failed: kept until the spec changes",
            state(None, Some(in_flight_with_new_config(&desired())), None),
            failing(endpoint("Failed", "config-3"), "no capacity"),
            Failed { state: state(None, None, Some(failure(3, "spec-3", "no capacity"))), recreate: false },
        ),
        (
            "an older generation failed and the spec changed since: recreated",
            state(None, Some(in_flight_with_new_config(&old)), None),
            failing(endpoint("Failed", "config-2"), "no capacity"),
            Failed { state: state(None, None, Some(failure(2, "spec-2", "no capacity"))), recreate: true },
        ),
        (
            "nothing recorded and this generation's config runs: the spec failed",
            HostingState::default(),
            endpoint("Failed", "config-3"),
            Failed { state: state(None, None, Some(failure(0, "spec-3", "the endpoint failed"))), recreate: false },
        ),
        (
            "nothing recorded and another config runs: recreated from the spec",
            HostingState::default(),
            endpoint("Failed", "config-1"),
            Failed { state: state(None, None, Some(failure(0, "", "the endpoint failed"))), recreate: true },
        ),
        (
            "a failure already recorded stays as it was; nothing is deployed any more",
            state(Some(old), None, Some(failure(3, "spec-3", "first reason"))),
            failing(endpoint("Failed", "config-3"), "second reason"),
            Failed { state: state(None, None, Some(failure(3, "spec-3", "first reason"))), recreate: false },
        ),
    ];
    for (what, recorded, remote, expected) in cases {
        assert_eq!(
            decide(&recorded, &desired(), Some(&remote)),
            Decision::Failed(&remote, expected),
            "{what}"
        );
    }
}

#[test]
fn a_weights_only_update_keeps_the_config_and_records_what_it_sent() {
    let deployed = Deployment {
        model_names: vec![sagemaker_k8s_api::KeyValuePair::new("m", "m-2-uid")],
        ..deployment(2, "shape-a")
    };
    let in_flight = in_flight_with_new_weights(&deployed, &desired(), &two_instances());
    assert!(in_flight.weights_only);
    assert_eq!(in_flight.deployment.endpoint_config_name, "config-2");
    assert_eq!(in_flight.deployment.model_names, deployed.model_names);
    assert_eq!(in_flight.deployment.spec_hash, "spec-3");
    assert_eq!(in_flight.deployment.generation, 3);
    assert_eq!(
        in_flight.capacities,
        vec![RecordedCapacity {
            variant_name: "all-traffic".into(),
            weight: 1.0,
            instance_count: Some(2),
        }]
    );
}

#[test]
fn which_endpoint_statuses_take_a_delete() {
    let table = [
        ("InService", true),
        ("Failed", true),
        ("OutOfService", true),
        ("UpdateRollbackFailed", true),
        ("Creating", false),
        ("Updating", false),
        ("SystemUpdating", false),
        ("RollingBack", false),
        ("Deleting", false),
    ];
    for (status, deletable) in table {
        assert_eq!(accepts_delete(status), deletable, "{status}");
    }
}

#[test]
fn tags_are_applied_in_place_once_nothing_else_is_to_do() {
    let table = [
        // (the update this reconcile starts, tags recorded as applied, tags now)
        (None, false, true),
        (None, true, false),
        // An update first: the tags follow once it is settled.
        (Some(Update::NewEndpointConfig), false, false),
        (Some(Update::WeightsAndCapacities), false, false),
    ];
    for (update, applied, expected) in table {
        assert_eq!(
            tags_due(update, applied),
            expected,
            "{update:?}, applied {applied}"
        );
    }
}

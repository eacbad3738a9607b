//! The optional ValidatingAdmissionPolicy in deploy/policies checks, at admission, the
//! references a CRD schema cannot: hostnames in spec.models[].containers and primaryContainer.

use std::time::Duration;

use sagemaker_k8s_testenv::wait_until;

use crate::{control_plane_with_crds, fixture};

const POLICY: &str =
    include_str!("../../../../deploy/policies/hostingdeployment-container-references.yaml");

#[tokio::test]
async fn the_policy_rejects_hostnames_the_spec_does_not_define_naming_the_model() {
    let control_plane = control_plane_with_crds().await;
    let applied = control_plane
        .kubectl_stdin(&["apply", "-f", "-"], POLICY)
        .await;
    assert!(applied.status.success(), "{applied}");
    let namespace = control_plane.create_namespace("policy").await;
    let unknown = fixture("xgboost-mnist-hostingdeployment.yaml").replace(
        "            - xgboost\n",
        "            - xgboost\n            - missing\n",
    );
    // A policy takes effect a moment after it is created: wait for the first rejection.
    let rejected = wait_until(
        Duration::from_secs(60),
        "the policy to reject an unknown hostname",
        || async {
            let output = control_plane
                .kubectl_stdin(
                    &["apply", "--dry-run=server", "-n", &namespace, "-f", "-"],
                    &unknown,
                )
                .await;
            (!output.status.success()).then_some(output.stderr)
        },
    )
    .await;
    assert!(rejected.contains("spec.models[].containers: xgboost-model name a container hostname that spec.containers does not define (defined: xgboost)"), "{rejected}");

    let primary = fixture("xgboost-mnist-hostingdeployment.yaml")
        .replace("primaryContainer: xgboost", "primaryContainer: nope");
    let output = control_plane
        .kubectl_stdin(
            &["apply", "--dry-run=server", "-n", &namespace, "-f", "-"],
            &primary,
        )
        .await;
    assert!(
        !output.status.success()
            && output
                .stderr
                .contains("spec.models[].primaryContainer of xgboost-model is neither"),
        "{output}"
    );

    // Both valid shapes pass: the guide's hostnames and the original's inline containers.
    for valid in [
        "xgboost-mnist-hostingdeployment.yaml",
        "original-inline-hostingdeployment.yaml",
        "original-multi-container-hostingdeployment.yaml",
    ] {
        let output = control_plane
            .kubectl_stdin(
                &["apply", "--dry-run=server", "-n", &namespace, "-f", "-"],
                &fixture(valid),
            )
            .await;
        assert!(output.status.success(), "{valid}: {output}");
    }
}

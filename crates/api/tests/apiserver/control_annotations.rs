//! The optional ValidatingAdmissionPolicy deploy/policies/control-annotations.yaml refuses a
//! deletion policy other than "delete" or "retain" (on any kind of the operator and on a
//! namespace) and an adoption policy other than "adopt" or "adopt-or-create", naming the
//! annotation and the allowed values.

use std::time::Duration;

use sagemaker_k8s_testenv::wait_until;

use crate::{control_plane_with_crds, fixture};

const POLICY: &str = include_str!("../../../../deploy/policies/control-annotations.yaml");

#[tokio::test]
async fn the_policy_refuses_a_deletion_policy_that_is_neither_delete_nor_retain() {
    let control_plane = control_plane_with_crds().await;
    let applied = control_plane
        .kubectl_stdin(&["apply", "-f", "-"], POLICY)
        .await;
    assert!(applied.status.success(), "{applied}");
    let namespace = control_plane.create_namespace("controls").await;
    let annotated = |value: &str| {
        fixture("xgboost-mnist-trainingjob.yaml").replacen(
            "metadata:\n",
            &format!(
                "metadata:\n  annotations:\n    sagemaker.aws.amazon.com/deletion-policy: \"{value}\"\n"
            ),
            1,
        )
    };
    let dry_run = |manifest: String| {
        let control_plane = &control_plane;
        let namespace = namespace.clone();
        async move {
            control_plane
                .kubectl_stdin(
                    &["apply", "--dry-run=server", "-n", &namespace, "-f", "-"],
                    &manifest,
                )
                .await
        }
    };
    // A policy takes effect a moment after it is created: wait for the first rejection.
    let rejected = wait_until(
        Duration::from_secs(60),
        "the policy to refuse deletion-policy Retain",
        || async {
            let output = dry_run(annotated("Retain")).await;
            (!output.status.success()).then_some(output.stderr)
        },
    )
    .await;
    assert!(
        rejected.contains(r#"metadata.annotations[sagemaker.aws.amazon.com/deletion-policy]: "Retain" is not a deletion policy; allowed: "delete""#),
        "{rejected}"
    );
    for valid in ["retain", "delete"] {
        let output = dry_run(annotated(valid)).await;
        assert!(output.status.success(), "{valid}: {output}");
    }
    let output = dry_run(fixture("xgboost-mnist-trainingjob.yaml")).await;
    assert!(output.status.success(), "no annotation: {output}");

    // The adoption policy, on any kind.
    let adopting = |value: &str| {
        fixture("xgboost-mnist-trainingjob.yaml").replacen(
            "metadata:\n",
            &format!(
                "metadata:\n  annotations:\n    sagemaker.aws.amazon.com/adoption-policy: \"{value}\"\n"
            ),
            1,
        )
    };
    let output = dry_run(adopting("take")).await;
    assert!(
        !output.status.success()
            && output.stderr.contains(r#"metadata.annotations[sagemaker.aws.amazon.com/adoption-policy]: "take" is not an adoption policy; allowed: "adopt""#),
        "{output}"
    );
    for valid in ["adopt", "adopt-or-create"] {
        let output = dry_run(adopting(valid)).await;
        assert!(output.status.success(), "{valid}: {output}");
    }
    let observing = |value: &str| {
        fixture("xgboost-mnist-trainingjob.yaml").replacen(
            "metadata:\n",
            &format!(
                "metadata:\n  annotations:\n    sagemaker.aws.amazon.com/observe: \"{value}\"\n"
            ),
            1,
        )
    };
    let output = dry_run(observing("yes")).await;
    assert!(
        !output.status.success()
            && output.stderr.contains(r#"metadata.annotations[sagemaker.aws.amazon.com/observe]: "yes" is not allowed; allowed: "true""#),
        "{output}"
    );
    for valid in ["true", "false"] {
        let output = dry_run(observing(valid)).await;
        assert!(output.status.success(), "{valid}: {output}");
    }

    // The namespace's default is checked the same way.
    let output = control_plane
        .kubectl(&[
            "annotate",
            "namespace",
            &namespace,
            "sagemaker.aws.amazon.com/deletion-policy=keep",
        ])
        .await;
    assert!(
        !output.status.success() && output.stderr.contains(r#""keep" is not a deletion policy"#),
        "{output}"
    );
    let output = control_plane
        .kubectl(&[
            "annotate",
            "namespace",
            &namespace,
            "sagemaker.aws.amazon.com/deletion-policy=retain",
        ])
        .await;
    assert!(output.status.success(), "{output}");
}

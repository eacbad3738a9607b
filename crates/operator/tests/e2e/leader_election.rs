//! `--leader-elect` on the real apiserver: of two operators only the Lease holder reconciles;
//! when it dies the standby takes the Lease and reconciles new objects; a leader that loses the
//! Lease exits non-zero.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::Api;
use kube::api::{Patch, PatchParams};
use sagemaker_k8s_testenv::{ChildProcess, ControlPlane, Emulator, control_plane, wait_until};
use serde_json::json;

use crate::harness::{spawn_operator_with, status_of, training_job_manifest};

const LEASE: &str = "sagemaker-k8s-operator-leader";
/// Short, so the standby's takeover after a SIGKILL stays within the test's patience.
const LEASE_SECONDS: &str = "4";

fn candidate(
    cluster: &ControlPlane,
    emulator: &Emulator,
    namespace: &str,
    name: &str,
) -> ChildProcess {
    spawn_operator_with(
        cluster,
        emulator,
        namespace,
        &[
            "--leader-elect",
            "--leader-election-namespace",
            namespace,
            "--leader-election-lease-duration-seconds",
            LEASE_SECONDS,
        ],
        name,
    )
}

async fn holder(leases: &Api<Lease>) -> Option<String> {
    leases
        .get_opt(LEASE)
        .await
        .ok()
        .flatten()
        .and_then(|lease| lease.spec)
        .and_then(|spec| spec.holder_identity)
        .filter(|holder| !holder.is_empty())
}

/// The identity ends with the process id (`<host>_<pid>`).
fn held_by(holder: &Option<String>, process: &ChildProcess) -> bool {
    holder
        .as_deref()
        .is_some_and(|holder| holder.ends_with(&format!("_{}", process.pid())))
}

async fn wait_completed(cluster: &ControlPlane, namespace: &str, name: &str) {
    let api: Api<sagemaker_k8s_api::TrainingJob> = Api::namespaced(cluster.client(), namespace);
    wait_until(
        Duration::from_secs(60),
        &format!("{name} Completed"),
        || {
            let api = api.clone();
            async move {
                api.get_opt(name)
                    .await
                    .ok()
                    .flatten()
                    .filter(|job| status_of(job) == Some("Completed"))
            }
        },
    )
    .await;
}

#[tokio::test]
async fn only_the_leader_reconciles_and_a_standby_takes_over_when_it_dies() {
    let cluster = control_plane().await;
    cluster
        .apply_crds(&sagemaker_k8s_api::all_crds())
        .await
        .expect("CRDs apply");
    let namespace = cluster.create_namespace("leader").await;
    let emulator = Emulator::start(&["--time-scale", "0.01"]).await;
    let leases: Api<Lease> = Api::namespaced(cluster.client(), &namespace);

    let mut first = candidate(cluster, &emulator, &namespace, "operator-leader-a");
    first
        .wait_for_log("became leader", Duration::from_secs(60))
        .await;
    let mut second = candidate(cluster, &emulator, &namespace, "operator-leader-b");
    second
        .wait_for_log("waiting to become leader", Duration::from_secs(60))
        .await;
    assert!(
        held_by(&holder(&leases).await, &first),
        "Lease holder {:?}",
        holder(&leases).await
    );

    let manifest =
        |name: &str| training_job_manifest(name, &[("emulator:outcome", "Completed")], "");
    cluster
        .kubectl_stdin(
            &["apply", "-n", &namespace, "-f", "-"],
            &manifest("before-failover"),
        )
        .await
        .expect_success();
    wait_completed(cluster, &namespace, "before-failover").await;
    assert!(
        first.log_contents().contains("created in SageMaker"),
        "{}",
        first.log_tail(30)
    );
    let standby_log = second.log_contents();
    assert!(
        !standby_log.contains("starting controllers")
            && !standby_log.contains("created in SageMaker"),
        "the standby reconciled:\n{standby_log}"
    );
    assert!(
        held_by(&holder(&leases).await, &first),
        "the leader kept the Lease"
    );

    // The leader dies without releasing the Lease: the standby takes it once it expires.
    first.kill_hard();
    second
        .wait_for_log("became leader", Duration::from_secs(60))
        .await;
    assert!(
        held_by(&holder(&leases).await, &second),
        "Lease holder {:?}",
        holder(&leases).await
    );
    cluster
        .kubectl_stdin(
            &["apply", "-n", &namespace, "-f", "-"],
            &manifest("after-failover"),
        )
        .await
        .expect_success();
    wait_completed(cluster, &namespace, "after-failover").await;
    assert!(
        second.log_contents().contains("created in SageMaker"),
        "{}",
        second.log_tail(30)
    );

    // A graceful stop gives the Lease up at once instead of leaving it to expire.
    let status = second.terminate().await;
    assert!(
        status.success(),
        "SIGTERM ends the leader cleanly: {status}\n{}",
        second.log_tail(20)
    );
    assert_eq!(holder(&leases).await, None, "released on SIGTERM");
}

#[tokio::test]
async fn a_leader_that_loses_the_lease_exits_non_zero() {
    let cluster = control_plane().await;
    cluster
        .apply_crds(&sagemaker_k8s_api::all_crds())
        .await
        .expect("CRDs apply");
    let namespace = cluster.create_namespace("leader-lost").await;
    let emulator = Emulator::start(&["--time-scale", "0.01"]).await;
    let mut leader = candidate(cluster, &emulator, &namespace, "operator-leader-lost");
    leader
        .wait_for_log("became leader", Duration::from_secs(60))
        .await;

    // Someone else takes the Lease (as a leader elsewhere would after a network partition).
    let leases: Api<Lease> = Api::namespaced(cluster.client(), &namespace);
    let now = MicroTime(k8s_openapi::jiff::Timestamp::now());
    let spec = LeaseSpec {
        holder_identity: Some("intruder".into()),
        acquire_time: Some(now.clone()),
        renew_time: Some(now),
        lease_duration_seconds: Some(3600),
        ..Default::default()
    };
    leases
        .patch(
            LEASE,
            &PatchParams::apply("e2e-intruder").force(),
            &Patch::Apply(
                json!({ "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "spec": spec }),
            ),
        )
        .await
        .expect("taking the Lease");
    let status = wait_until(
        Duration::from_secs(30),
        "the leader exits after losing the Lease",
        || {
            let status = leader.try_exit_status();
            async move { status }
        },
    )
    .await;
    assert_eq!(status.code(), Some(1), "{}", leader.log_tail(20));
    assert!(
        leader.log_contents().contains("lost the leader Lease"),
        "{}",
        leader.log_tail(20)
    );
}

use std::time::Duration;

use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec};
use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{Event, Namespace, ObjectReference};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, CustomResourceDefinitionNames, CustomResourceDefinitionSpec,
    CustomResourceDefinitionVersion, CustomResourceValidation, JSONSchemaProps,
};
use kube::api::{Api, ObjectMeta, PostParams};
use sagemaker_k8s_testenv::{TestUser, control_plane, wait_until};

#[tokio::test]
async fn apiserver_answers_as_admin_and_serves_a_verified_certificate() {
    let control_plane = control_plane().await;
    assert!(
        control_plane.server_url().starts_with("https://127.0.0.1:"),
        "{}",
        control_plane.server_url()
    );
    // The client verifies the serving certificate against the CA bundle (no skip-verify), so
    // a successful request proves the TLS set-up.
    let version = control_plane
        .client()
        .apiserver_version()
        .await
        .expect("version");
    assert_eq!(
        (version.major.as_str(), version.minor.as_str()),
        ("1", "36")
    );
    let ca = std::fs::read_to_string(control_plane.ca_path()).unwrap();
    assert!(ca.contains("BEGIN CERTIFICATE"));
    let namespaces: Api<Namespace> = Api::all(control_plane.client());
    let names: Vec<String> = namespaces
        .list(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .filter_map(|ns| ns.metadata.name)
        .collect();
    for expected in ["default", "kube-system"] {
        assert!(
            names.iter().any(|name| name == expected),
            "{expected} missing: {names:?}"
        );
    }
}

/// Two tests in one binary, each on its own runtime: the same apiserver, and each test's
/// client works although the other test's runtime may already be gone.
#[tokio::test]
async fn tests_share_one_apiserver_first() {
    shared_apiserver_check().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tests_share_one_apiserver_second() {
    shared_apiserver_check().await;
}

async fn shared_apiserver_check() {
    let first = control_plane().await;
    let second = control_plane().await;
    assert!(
        std::ptr::eq(first, second),
        "control_plane() must return the same instance"
    );
    let (etcd_pid, apiserver_pid) = first.pids();
    assert!(sagemaker_k8s_testenv::process_is_running(etcd_pid));
    assert!(sagemaker_k8s_testenv::process_is_running(apiserver_pid));
    // Several round trips, spread out, so a client tied to a dead runtime would show up.
    for _ in 0..5 {
        first
            .client()
            .apiserver_version()
            .await
            .expect("a fresh client works on this runtime");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clients built on a runtime that has ended are not reused: a client from another runtime
/// keeps working after the first runtime shut down.
#[test]
fn clients_outlive_other_runtimes() {
    let url_on = |label: &str| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let control_plane = control_plane().await;
            control_plane
                .client()
                .apiserver_version()
                .await
                .unwrap_or_else(|error| panic!("{label}: {error}"));
            control_plane.server_url().to_owned()
        })
    };
    let first = url_on("first runtime");
    let second = url_on("second runtime, after the first was dropped");
    assert_eq!(first, second);
}

#[tokio::test]
async fn namespaces_are_unique_per_call() {
    let control_plane = control_plane().await;
    let first = control_plane.create_namespace("Unique_Test").await;
    let second = control_plane.create_namespace("Unique_Test").await;
    assert_ne!(first, second);
    assert!(first.starts_with("unique-test-"), "{first}");
    let namespaces: Api<Namespace> = Api::all(control_plane.client());
    for name in [&first, &second] {
        namespaces
            .get(name)
            .await
            .unwrap_or_else(|error| panic!("namespace {name}: {error}"));
    }
}

fn widget_crd() -> CustomResourceDefinition {
    let schema = JSONSchemaProps {
        type_: Some("object".into()),
        x_kubernetes_preserve_unknown_fields: Some(true),
        ..Default::default()
    };
    CustomResourceDefinition {
        metadata: ObjectMeta {
            name: Some("widgets.testenv.example.com".into()),
            ..Default::default()
        },
        spec: CustomResourceDefinitionSpec {
            group: "testenv.example.com".into(),
            names: CustomResourceDefinitionNames {
                kind: "Widget".into(),
                plural: "widgets".into(),
                singular: Some("widget".into()),
                ..Default::default()
            },
            scope: "Namespaced".into(),
            versions: vec![CustomResourceDefinitionVersion {
                name: "v1".into(),
                served: true,
                storage: true,
                schema: Some(CustomResourceValidation {
                    open_api_v3_schema: Some(schema),
                }),
                ..Default::default()
            }],
            ..Default::default()
        },
        status: None,
    }
}

#[tokio::test]
async fn apply_crds_waits_until_established_and_is_idempotent_under_concurrency() {
    let control_plane = control_plane().await;
    let crds = [widget_crd()];
    let (first, second) = tokio::join!(
        control_plane.apply_crds(&crds),
        control_plane.apply_crds(&crds)
    );
    first.expect("first apply");
    second.expect("concurrent apply");
    control_plane.apply_crds(&crds).await.expect("re-apply");

    let installed: Api<CustomResourceDefinition> = Api::all(control_plane.client());
    let crd = installed.get("widgets.testenv.example.com").await.unwrap();
    let conditions = crd
        .status
        .and_then(|status| status.conditions)
        .unwrap_or_default();
    assert!(
        conditions
            .iter()
            .any(|c| c.type_ == "Established" && c.status == "True"),
        "{conditions:?}"
    );

    // Established means served: a custom object can be created right away.
    let namespace = control_plane.create_namespace("widgets").await;
    control_plane
        .kubectl_stdin(
            &["apply", "-n", &namespace, "-f", "-"],
            "apiVersion: testenv.example.com/v1\nkind: Widget\nmetadata:\n  name: first\nspec:\n  size: 3\n",
        )
        .await
        .expect_success();
    let output = control_plane
        .kubectl(&["get", "widgets", "-n", &namespace, "-o", "name"])
        .await
        .expect_success();
    assert_eq!(output.stdout.trim(), "widget.testenv.example.com/first");
}

#[tokio::test]
async fn apply_crds_rejects_a_crd_without_name() {
    let control_plane = control_plane().await;
    let mut crd = widget_crd();
    crd.metadata.name = None;
    let error = control_plane
        .apply_crds(&[crd])
        .await
        .expect_err("a CRD without a name");
    assert!(
        matches!(error, sagemaker_k8s_testenv::TestEnvError::CrdWithoutName),
        "{error}"
    );
}

async fn review_token(token: &str) -> TokenReview {
    let control_plane = control_plane().await;
    let reviews: Api<TokenReview> = Api::all(control_plane.client());
    let review = TokenReview {
        spec: TokenReviewSpec {
            token: token.to_owned(),
            ..Default::default()
        },
        ..Default::default()
    };
    reviews
        .create(&PostParams::default(), &review)
        .await
        .expect("TokenReview create")
}

#[tokio::test]
async fn token_review_authenticates_static_users_and_rejects_garbage() {
    let control_plane = control_plane().await;
    for user in [TestUser::MetricsScraper, TestUser::Nobody, TestUser::Admin] {
        let status = review_token(control_plane.token_for(user))
            .await
            .status
            .expect("status");
        assert_eq!(status.authenticated, Some(true), "{user:?}: {status:?}");
        let reviewed = status.user.expect("user info");
        assert_eq!(reviewed.username.as_deref(), Some(user.username()));
        let groups = reviewed.groups.unwrap_or_default();
        assert!(
            groups.iter().any(|group| group == "system:authenticated"),
            "{groups:?}"
        );
        assert_eq!(
            groups.iter().any(|group| group == "system:masters"),
            user == TestUser::Admin,
            "{user:?}: {groups:?}"
        );
    }
    assert_eq!(control_plane.token_for(TestUser::MetricsScraper).len(), 32);
    assert_ne!(
        control_plane.token_for(TestUser::MetricsScraper),
        control_plane.token_for(TestUser::Admin)
    );

    let status = review_token("not-a-token-this-apiserver-issued")
        .await
        .status
        .expect("status");
    assert_ne!(status.authenticated, Some(true), "{status:?}");
}

async fn may_get_metrics(user: &str) -> bool {
    let control_plane = control_plane().await;
    let reviews: Api<SubjectAccessReview> = Api::all(control_plane.client());
    let review = SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            user: Some(user.to_owned()),
            non_resource_attributes: Some(NonResourceAttributes {
                path: Some("/metrics".into()),
                verb: Some("get".into()),
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let created = reviews
        .create(&PostParams::default(), &review)
        .await
        .expect("SubjectAccessReview create");
    created.status.expect("status").allowed
}

#[tokio::test]
async fn subject_access_review_follows_rbac() {
    let control_plane = control_plane().await;
    // A user nobody bound anything to is denied; a binding made now allows it (RBAC is live).
    let user = format!("sar-{}", control_plane.create_namespace("sar").await);
    assert!(
        !may_get_metrics(&user).await,
        "{user} must not be allowed before a binding"
    );
    control_plane
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {user}\nrules:\n- nonResourceURLs: [\"/metrics\"]\n  verbs: [\"get\"]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {user}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {user}\nsubjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: User\n  name: {user}\n"
            ),
        )
        .await
        .expect_success();
    wait_until(
        Duration::from_secs(10),
        "the new binding to allow GET /metrics",
        || async { may_get_metrics(&user).await.then_some(()) },
    )
    .await;

    // Resource attributes work too, and the non-admin users really are unprivileged.
    let reviews: Api<SubjectAccessReview> = Api::all(control_plane.client());
    let review = SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            user: Some(TestUser::Nobody.username().to_owned()),
            resource_attributes: Some(ResourceAttributes {
                verb: Some("list".into()),
                resource: Some("secrets".into()),
                namespace: Some("default".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let status = reviews
        .create(&PostParams::default(), &review)
        .await
        .unwrap()
        .status
        .unwrap();
    assert!(!status.allowed, "{status:?}");
    let forbidden = Api::<Namespace>::all(control_plane.client_for(TestUser::Nobody))
        .list(&Default::default())
        .await;
    assert!(
        matches!(forbidden, Err(kube::Error::Api(ref status)) if status.code == 403),
        "{forbidden:?}"
    );
}

#[tokio::test]
async fn leases_can_be_created_and_updated() {
    let control_plane = control_plane().await;
    let namespace = control_plane.create_namespace("lease").await;
    let leases: Api<Lease> = Api::namespaced(control_plane.client(), &namespace);
    let lease = Lease {
        metadata: ObjectMeta {
            name: Some("leader".into()),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some("first".into()),
            lease_duration_seconds: Some(15),
            ..Default::default()
        }),
    };
    let mut created = leases
        .create(&PostParams::default(), &lease)
        .await
        .expect("Lease create");
    created.spec.as_mut().unwrap().holder_identity = Some("second".into());
    leases
        .replace("leader", &PostParams::default(), &created)
        .await
        .expect("Lease update");
    let read = leases.get("leader").await.unwrap();
    assert_eq!(
        read.spec.unwrap().holder_identity.as_deref(),
        Some("second")
    );
}

#[tokio::test]
async fn events_can_be_created_and_listed() {
    let control_plane = control_plane().await;
    let namespace = control_plane.create_namespace("event").await;
    let events: Api<Event> = Api::namespaced(control_plane.client(), &namespace);
    let event = Event {
        metadata: ObjectMeta {
            name: Some("widget.1".into()),
            ..Default::default()
        },
        involved_object: ObjectReference {
            kind: Some("ConfigMap".into()),
            name: Some("widget".into()),
            namespace: Some(namespace.clone()),
            ..Default::default()
        },
        reason: Some("Tested".into()),
        message: Some("an event from the testenv tests".into()),
        type_: Some("Normal".into()),
        ..Default::default()
    };
    events
        .create(&PostParams::default(), &event)
        .await
        .expect("Event create");
    let output = control_plane
        .kubectl(&["get", "events", "-n", &namespace])
        .await
        .expect_success();
    assert!(output.stdout.contains("Tested"), "{output}");
}

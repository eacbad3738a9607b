//! The guarded edits as tables, then against a real apiserver with a stale object: another
//! controller's finalizer (or `foregroundDeletion`) written in between is never dropped. The
//! objects are Models: the apiserver accepts our finalizer's (unqualified) name only on custom
//! resources.

use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, PropagationPolicy};
use sagemaker_k8s_api::Model;
use sagemaker_k8s_testenv::control_plane;

use super::*;

const OTHER: &str = "example.com/other-controller";

fn list(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

#[test]
fn add_operations_test_the_list_they_were_computed_from() {
    let cases: [(&[&str], Option<Vec<Value>>); 3] = [
        (
            &[],
            Some(vec![
                json!({ "op": "test", "path": "/metadata/finalizers", "value": null }),
                json!({ "op": "add", "path": "/metadata/finalizers", "value": [FINALIZER] }),
            ]),
        ),
        (
            &[OTHER],
            Some(vec![
                json!({ "op": "test", "path": "/metadata/finalizers", "value": [OTHER] }),
                json!({ "op": "add", "path": "/metadata/finalizers/-", "value": FINALIZER }),
            ]),
        ),
        (&[OTHER, FINALIZER], None),
    ];
    for (current, expected) in cases {
        assert_eq!(
            add_operations(&list(current), FINALIZER),
            expected,
            "{current:?}"
        );
    }
}

#[test]
fn remove_operations_test_the_index_they_remove() {
    let cases: [(&[&str], Option<Vec<Value>>); 3] = [
        (&[OTHER], None),
        (
            &[FINALIZER],
            Some(vec![
                json!({ "op": "test", "path": "/metadata/finalizers/0", "value": FINALIZER }),
                json!({ "op": "remove", "path": "/metadata/finalizers/0" }),
            ]),
        ),
        (
            &[OTHER, FINALIZER, "foregroundDeletion"],
            Some(vec![
                json!({ "op": "test", "path": "/metadata/finalizers/1", "value": FINALIZER }),
                json!({ "op": "remove", "path": "/metadata/finalizers/1" }),
            ]),
        ),
    ];
    for (current, expected) in cases {
        assert_eq!(
            remove_operations(&list(current), FINALIZER),
            expected,
            "{current:?}"
        );
    }
}

/// A Model object (no operator runs here: only these edits touch it) with `finalizers`.
async fn model(name: &str, finalizers: &[&str]) -> (Api<Model>, Model) {
    let cluster = control_plane().await;
    cluster
        .apply_crds(&sagemaker_k8s_api::all_crds())
        .await
        .expect("CRDs apply");
    let namespace = cluster.create_namespace("finalizer").await;
    let api: Api<Model> = Api::namespaced(cluster.client(), &namespace);
    let object: Model = serde_json::from_value(json!({
        "apiVersion": "sagemaker.aws.amazon.com/v1",
        "kind": "Model",
        "metadata": { "name": name, "finalizers": finalizers },
        "spec": {
            "region": "us-west-2",
            "executionRoleArn": "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole",
            "primaryContainer": {
                "image": "433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:latest",
                "modelDataUrl": "s3://my-bucket/inference/xgboost-mnist/model.tar.gz",
            },
        },
    }))
    .expect("a Model");
    let created = api.create(&PostParams::default(), &object).await.unwrap();
    (api, created)
}

/// Another controller's edit of the list, by the whole list it now wants.
async fn set_finalizers(api: &Api<Model>, name: &str, finalizers: &[&str]) {
    api.patch(
        name,
        &PatchParams::default(),
        &Patch::Merge(json!({ "metadata": { "finalizers": finalizers } })),
    )
    .await
    .unwrap();
}

async fn finalizers_of(api: &Api<Model>, name: &str) -> Vec<String> {
    api.get(name)
        .await
        .unwrap()
        .metadata
        .finalizers
        .unwrap_or_default()
}

#[tokio::test]
async fn adding_to_a_stale_list_is_refused_and_keeps_the_other_finalizer() {
    let (api, stale) = model("add", &[]).await;
    set_finalizers(&api, "add", &[OTHER]).await;

    let client = control_plane().await.client();
    assert_eq!(
        add_finalizer(&client, &stale).await.unwrap(),
        Edit::ListChanged
    );
    assert_eq!(finalizers_of(&api, "add").await, list(&[OTHER]));

    let fresh = api.get("add").await.unwrap();
    assert_eq!(add_finalizer(&client, &fresh).await.unwrap(), Edit::Applied);
    assert_eq!(finalizers_of(&api, "add").await, list(&[OTHER, FINALIZER]));
}

#[tokio::test]
async fn removing_from_a_stale_list_keeps_what_was_added_since() {
    let (api, stale) = model("remove", &[FINALIZER]).await;
    set_finalizers(&api, "remove", &[FINALIZER, OTHER]).await;

    let client = control_plane().await.client();
    let edit = remove_finalizer(&client, &stale, FINALIZER).await.unwrap();
    assert_eq!(edit, Edit::Applied);
    assert_eq!(finalizers_of(&api, "remove").await, list(&[OTHER]));
}

#[tokio::test]
async fn removing_after_the_list_moved_is_refused_and_drops_nothing() {
    let (api, stale) = model("moved", &[OTHER, FINALIZER]).await;
    set_finalizers(&api, "moved", &[FINALIZER]).await;

    let client = control_plane().await.client();
    let edit = remove_finalizer(&client, &stale, FINALIZER).await.unwrap();
    assert_eq!(edit, Edit::ListChanged);
    assert_eq!(finalizers_of(&api, "moved").await, list(&[FINALIZER]));
}

#[tokio::test]
async fn removing_ours_during_foreground_deletion_keeps_foreground_deletion() {
    let (api, stale) = model("foreground", &[FINALIZER]).await;
    // What `kubectl delete --cascade=foreground` asks: the apiserver adds `foregroundDeletion`
    // for the garbage collector, which removes it once the dependents are gone.
    api.delete(
        "foreground",
        &DeleteParams {
            propagation_policy: Some(PropagationPolicy::Foreground),
            ..DeleteParams::default()
        },
    )
    .await
    .unwrap();
    let deleting = finalizers_of(&api, "foreground").await;
    assert!(
        deleting.iter().any(|f| f == "foregroundDeletion"),
        "{deleting:?}"
    );

    let client = control_plane().await.client();
    let edit = remove_finalizer(&client, &stale, FINALIZER).await.unwrap();
    assert_eq!(edit, Edit::Applied);
    assert_eq!(
        finalizers_of(&api, "foreground").await,
        list(&["foregroundDeletion"]),
        "only ours is gone: the garbage collector's finalizer still holds the object"
    );
}

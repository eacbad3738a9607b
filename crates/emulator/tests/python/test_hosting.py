"""Models, endpoint configs, endpoints, transform jobs and InvokeEndpoint through boto3."""

import pytest
from botocore.exceptions import ClientError

from conftest import ROLE, error_code, error_message, wait_for

VARIANT = {"VariantName": "AllTraffic", "ModelName": "m1", "InitialInstanceCount": 1, "InstanceType": "ml.m4.xlarge"}


def make_model(sagemaker, name="m1"):
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE,
                           PrimaryContainer={"Image": "xgboost:1", "ModelDataUrl": "s3://my-bucket/model.tar.gz"})


def endpoint_status(sagemaker, name):
    return sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"]


def test_endpoint_lifecycle_update_and_delete(emulator, sagemaker):
    make_model(sagemaker)
    sagemaker.create_endpoint_config(EndpointConfigName="c1", ProductionVariants=[VARIANT])
    sagemaker.create_endpoint_config(EndpointConfigName="c2", ProductionVariants=[dict(VARIANT, InitialInstanceCount=2)])
    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="c1")
    assert endpoint_status(sagemaker, "ep") == "Creating"
    with pytest.raises(ClientError) as excinfo:
        sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    assert error_message(excinfo).startswith("Cannot update in-progress endpoint")
    wait_for("InService", lambda: endpoint_status(sagemaker, "ep") == "InService")

    runtime = emulator.client("sagemaker-runtime")
    body = ",".join(str(i) for i in range(1, 785))
    answer = runtime.invoke_endpoint(EndpointName="ep", ContentType="text/csv", Body=body)
    prediction = float(answer["Body"].read())
    assert 0 <= prediction < 10
    assert float(runtime.invoke_endpoint(EndpointName="ep", ContentType="text/csv", Body=body)["Body"].read()) == prediction

    sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    assert endpoint_status(sagemaker, "ep") == "Updating"
    wait_for("updated", lambda: endpoint_status(sagemaker, "ep") == "InService")
    live = sagemaker.describe_endpoint(EndpointName="ep")
    assert live["EndpointConfigName"] == "c2"
    assert live["ProductionVariants"][0]["CurrentInstanceCount"] == 2

    sagemaker.update_endpoint_weights_and_capacities(EndpointName="ep", DesiredWeightsAndCapacities=[
        {"VariantName": "AllTraffic", "DesiredWeight": 0.25}])
    wait_for("weights applied", lambda: sagemaker.describe_endpoint(EndpointName="ep")["ProductionVariants"][0]["CurrentWeight"] == 0.25)

    sagemaker.delete_endpoint(EndpointName="ep")
    assert endpoint_status(sagemaker, "ep") == "Deleting"

    def gone():
        try:
            sagemaker.describe_endpoint(EndpointName="ep")
            return False
        except ClientError as error:
            return error.response["Error"]["Message"].startswith("Could not find endpoint")

    wait_for("deleted", gone)


def test_failed_endpoint_and_hosting_errors(sagemaker):
    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_endpoint_config(EndpointConfigName="c1", ProductionVariants=[VARIANT])
    assert error_message(excinfo).startswith("Could not find model")
    make_model(sagemaker)
    with pytest.raises(ClientError) as excinfo:
        make_model(sagemaker)
    assert error_code(excinfo) == "ValidationException"
    assert error_message(excinfo).startswith("Cannot create already existing model")
    sagemaker.create_endpoint_config(EndpointConfigName="c1", ProductionVariants=[VARIANT])
    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="missing")
    assert error_message(excinfo).startswith("Could not find endpoint configuration")
    sagemaker.create_endpoint(EndpointName="bad", EndpointConfigName="c1",
                              Tags=[{"Key": "emulator:outcome", "Value": "Failed"},
                                    {"Key": "emulator:failure-reason", "Value": "ping failed"}])
    wait_for("Failed", lambda: endpoint_status(sagemaker, "bad") == "Failed")
    assert sagemaker.describe_endpoint(EndpointName="bad")["FailureReason"] == "ping failed"
    for call, kwargs, prefix in [
        (sagemaker.describe_endpoint, {"EndpointName": "x"}, "Could not find endpoint \""),
        (sagemaker.delete_endpoint, {"EndpointName": "x"}, "Could not find endpoint \""),
        (sagemaker.describe_model, {"ModelName": "x"}, "Could not find model"),
        (sagemaker.delete_model, {"ModelName": "x"}, "Could not find model"),
        (sagemaker.describe_endpoint_config, {"EndpointConfigName": "x"}, "Could not find endpoint configuration"),
        (sagemaker.delete_endpoint_config, {"EndpointConfigName": "x"}, "Could not find endpoint configuration"),
    ]:
        with pytest.raises(ClientError) as excinfo:
            call(**kwargs)
        assert error_code(excinfo) == "ValidationException"
        assert error_message(excinfo).startswith(prefix), error_message(excinfo)


def test_transform_job(sagemaker):
    request = {
        "TransformJobName": "py-batch",
        "ModelName": "m1",
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in"}},
                           "ContentType": "text/csv"},
        "TransformOutput": {"S3OutputPath": "s3://b/out"},
        "TransformResources": {"InstanceType": "ml.m4.xlarge", "InstanceCount": 1},
    }
    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_transform_job(**request)
    assert error_message(excinfo).startswith("Could not find model")
    make_model(sagemaker)
    sagemaker.create_transform_job(**request)
    wait_for("completed", lambda: sagemaker.describe_transform_job(TransformJobName="py-batch")["TransformJobStatus"] == "Completed")
    sagemaker.create_transform_job(**dict(request, TransformJobName="py-batch-2",
                                          Tags=[{"Key": "emulator:duration-seconds", "Value": "9000"}]))
    sagemaker.stop_transform_job(TransformJobName="py-batch-2")
    wait_for("stopped", lambda: sagemaker.describe_transform_job(TransformJobName="py-batch-2")["TransformJobStatus"] == "Stopped")
    assert [s["TransformJobName"] for s in sagemaker.list_transform_jobs(StatusEquals="Stopped")["TransformJobSummaries"]] == ["py-batch-2"]


def test_tags(sagemaker):
    make_model(sagemaker)
    arn = sagemaker.describe_model(ModelName="m1")["ModelArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"}])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == []


def test_lists_retained_update_and_json_inference(emulator, sagemaker):
    make_model(sagemaker, "m1")
    make_model(sagemaker, "m2")
    assert [m["ModelName"] for m in sagemaker.list_models(SortBy="Name", SortOrder="Ascending")["Models"]] == ["m1", "m2"]
    assert [m["ModelName"] for m in sagemaker.list_models(NameContains="2")["Models"]] == ["m2"]
    sagemaker.create_endpoint_config(EndpointConfigName="small", ProductionVariants=[VARIANT])
    sagemaker.create_endpoint_config(EndpointConfigName="large",
                                     ProductionVariants=[dict(VARIANT, ModelName="m2", InitialInstanceCount=4)])
    configs = sagemaker.list_endpoint_configs(SortBy="Name", SortOrder="Ascending")["EndpointConfigs"]
    assert [c["EndpointConfigName"] for c in configs] == ["large", "small"]
    assert sagemaker.describe_endpoint_config(EndpointConfigName="large")["ProductionVariants"][0]["ModelName"] == "m2"

    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="small")
    wait_for("InService", lambda: endpoint_status(sagemaker, "ep") == "InService")
    sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="large", RetainAllVariantProperties=True,
                              ExcludeRetainedVariantProperties=[{"VariantPropertyType": "DesiredWeight"}])
    wait_for("updated", lambda: endpoint_status(sagemaker, "ep") == "InService")
    variant = sagemaker.describe_endpoint(EndpointName="ep")["ProductionVariants"][0]
    assert variant["CurrentInstanceCount"] == 1, "instance count retained"
    assert sagemaker.list_endpoints(StatusEquals="InService")["Endpoints"][0]["EndpointName"] == "ep"
    assert sagemaker.list_endpoints(NameContains="zzz")["Endpoints"] == []

    runtime = emulator.client("sagemaker-runtime")
    answer = runtime.invoke_endpoint(EndpointName="ep", ContentType="application/json", Body='{"instances": [1, 2]}')
    assert answer["ContentType"] == "application/json"
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    import json
    assert isinstance(json.loads(answer["Body"].read())["predictions"][0]["score"], float)
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_endpoint(EndpointName="missing", ContentType="text/csv", Body="1,2")
    assert error_code(excinfo) == "ValidationError"


def test_unknown_operation_is_refused(sagemaker):
    with pytest.raises(ClientError) as excinfo:
        sagemaker.describe_labeling_job(LabelingJobName="p")
    assert error_code(excinfo) == "UnknownOperationException"

"""Cross-check against moto: for the operations moto implements, the same requests must give
responses with the same member names and types (values are ignored).

boto3 parses both responses with the same service model, so only modelled members are compared.
Where the key sets differ, the difference must be one of the documented cases below, each with
the reason; anything else fails the test.
"""

import time

import boto3
import pytest

from conftest import ROLE, training_request

# Members moto always sends as empty placeholders where SageMaker omits them unless set; the
# test also checks that moto's value is empty.
MOTO_PLACEHOLDERS = {
    "describe_model": {"Containers", "VpcConfig"},
    "describe_endpoint_config": {"DataCaptureConfig"},
    "describe_endpoint": {"DataCaptureConfig"},
    "describe_transform_job": {"FailureReason", "LabelingJobArn"},
}

# Defaults SageMaker reports for members the Create request left out (API reference); moto
# echoes only what was sent.
SAGEMAKER_DEFAULTS = {
    "describe_training_job": {"AlgorithmSpecification.EnableSageMakerMetricsTimeSeries",
                              "InputDataConfig.[].CompressionType", "InputDataConfig.[].RecordWrapperType",
                              "OutputDataConfig.CompressionType"},
    "describe_transform_job": {"DataProcessing", "MaxConcurrentTransforms", "MaxPayloadInMB",
                               "TransformInput.CompressionType", "TransformInput.SplitType"},
}

# Members SageMaker / CloudWatch Logs return that moto leaves out.
MOTO_OMITS = {
    "describe_training_job": {"BillableTimeInSeconds", "TrainingTimeInSeconds"}
    | SAGEMAKER_DEFAULTS["describe_training_job"],
    "describe_transform_job": SAGEMAKER_DEFAULTS["describe_transform_job"],
    "list_training_jobs": {"TrainingJobSummaries.[].SecondaryStatus"},
    "describe_endpoint_config": {"ProductionVariants.[].InitialVariantWeight"},
    "describe_endpoint": {"ProductionVariants.[].CurrentWeight", "ProductionVariants.[].DesiredWeight",
                          "ProductionVariants.[].DeployedImages"},
    "describe_log_streams": {"logStreams.[].firstEventTimestamp", "logStreams.[].lastEventTimestamp",
                             "logStreams.[].lastIngestionTime", "logStreams.[].uploadSequenceToken"},
}


def shape(value):
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def differences(emulator, moto, path=""):
    only_emulator, only_moto, types = set(), set(), []
    if isinstance(emulator, dict) and isinstance(moto, dict):
        for key in set(emulator) | set(moto):
            if key not in moto:
                only_emulator.add(path + key)
            elif key not in emulator:
                only_moto.add(path + key)
            else:
                e, m, t = differences(emulator[key], moto[key], path + key + ".")
                only_emulator |= e
                only_moto |= m
                types += t
    elif isinstance(emulator, list) and isinstance(moto, list):
        if emulator and moto:
            e, m, t = differences(emulator[0], moto[0], path + "[].")
            only_emulator |= e
            only_moto |= m
            types += t
    elif emulator != moto:
        types.append("%s emulator %s, moto %s" % (path.rstrip("."), emulator, moto))
    return only_emulator, only_moto, types


def scenario(url):
    """The same requests against one server; returns the raw responses by operation."""
    client = lambda service: boto3.client(service, endpoint_url=url, region_name="us-east-1",
                                          aws_access_key_id="AKIDCROSSCHECK", aws_secret_access_key="secret")
    sagemaker, logs = client("sagemaker"), client("logs")
    out = {}
    out["create_training_job"] = sagemaker.create_training_job(**training_request("cross-job"))
    out["create_model"] = sagemaker.create_model(
        ModelName="cross-model", ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "xgboost:1", "ModelDataUrl": "s3://b/model.tar.gz"})
    out["create_endpoint_config"] = sagemaker.create_endpoint_config(
        EndpointConfigName="cross-config",
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "cross-model", "InitialInstanceCount": 1,
                             "InstanceType": "ml.m4.xlarge"}])
    out["create_endpoint"] = sagemaker.create_endpoint(EndpointName="cross-endpoint", EndpointConfigName="cross-config")
    out["create_transform_job"] = sagemaker.create_transform_job(
        TransformJobName="cross-transform", ModelName="cross-model",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in"}},
                        "ContentType": "text/csv"},
        TransformOutput={"S3OutputPath": "s3://b/out"},
        TransformResources={"InstanceType": "ml.m4.xlarge", "InstanceCount": 1})
    # moto finishes everything at creation; give the emulator (time scale 0.01) time to finish too.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done = (sagemaker.describe_training_job(TrainingJobName="cross-job")["TrainingJobStatus"] == "Completed"
                and sagemaker.describe_endpoint(EndpointName="cross-endpoint")["EndpointStatus"] == "InService"
                and sagemaker.describe_transform_job(TransformJobName="cross-transform")["TransformJobStatus"] == "Completed")
        if done:
            break
        time.sleep(0.05)
    out["describe_training_job"] = sagemaker.describe_training_job(TrainingJobName="cross-job")
    out["list_training_jobs"] = sagemaker.list_training_jobs()
    out["describe_model"] = sagemaker.describe_model(ModelName="cross-model")
    out["list_models"] = sagemaker.list_models()
    out["describe_endpoint_config"] = sagemaker.describe_endpoint_config(EndpointConfigName="cross-config")
    out["list_endpoint_configs"] = sagemaker.list_endpoint_configs()
    out["describe_endpoint"] = sagemaker.describe_endpoint(EndpointName="cross-endpoint")
    out["list_endpoints"] = sagemaker.list_endpoints()
    out["describe_transform_job"] = sagemaker.describe_transform_job(TransformJobName="cross-transform")
    out["list_transform_jobs"] = sagemaker.list_transform_jobs()
    out["list_tags"] = sagemaker.list_tags(ResourceArn=out["create_model"]["ModelArn"])
    logs.create_log_group(logGroupName="/cross")
    logs.create_log_stream(logGroupName="/cross", logStreamName="s")
    # An event older than 14 days: both must report it in rejectedLogEventsInfo.
    out["put_log_events"] = logs.put_log_events(logGroupName="/cross", logStreamName="s",
                                                logEvents=[{"timestamp": 1700000000000, "message": "hello"}])
    out["put_recent_log_events"] = logs.put_log_events(
        logGroupName="/cross", logStreamName="s",
        logEvents=[{"timestamp": int(time.time() * 1000) - 1000, "message": "recent"}])
    out["describe_log_groups"] = logs.describe_log_groups(logGroupNamePrefix="/cross")
    out["describe_log_streams"] = logs.describe_log_streams(logGroupName="/cross")
    out["get_log_events"] = logs.get_log_events(logGroupName="/cross", logStreamName="s", startFromHead=True)
    out["filter_log_events"] = logs.filter_log_events(logGroupName="/cross")
    return out


def is_empty(value):
    return value in (None, "", [], {})


def test_same_member_names_and_types_as_moto(emulator, moto_url):
    ours = scenario(emulator.url)
    theirs = scenario(moto_url)
    problems = []
    for operation in ours:
        only_ours, only_theirs, types = differences(shape(ours[operation]), shape(theirs[operation]))
        problems += ["%s: type differs at %s" % (operation, t) for t in types]
        unexpected_ours = only_ours - MOTO_OMITS.get(operation, set())
        unexpected_theirs = only_theirs - MOTO_PLACEHOLDERS.get(operation, set())
        problems += ["%s: only the emulator returns %s" % (operation, m) for m in sorted(unexpected_ours)]
        problems += ["%s: only moto returns %s" % (operation, m) for m in sorted(unexpected_theirs)]
        for member in only_theirs & MOTO_PLACEHOLDERS.get(operation, set()):
            if not is_empty(theirs[operation].get(member)):
                problems.append("%s: moto's %s is not an empty placeholder" % (operation, member))
    assert not problems, "\n".join(problems)

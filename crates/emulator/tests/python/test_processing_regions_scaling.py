"""Processing jobs, per-region state and Application Auto Scaling through boto3 (the Rust SDK
tests cover the same ground; a second client catches protocol details one SDK forgives)."""

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import KEY, ROLE, SECRET, training_request, wait_for


def client_in(emulator, service, region):
    return boto3.client(
        service,
        endpoint_url=emulator.url,
        region_name=region,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def processing_request(name, tags=()):
    return {
        "ProcessingJobName": name,
        "RoleArn": ROLE,
        "AppSpecification": {"ImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1"},
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 2, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}
        },
        "ProcessingInputs": [
            {
                "InputName": "raw",
                "S3Input": {
                    "S3Uri": "s3://my-bucket/raw/",
                    "LocalPath": "/opt/ml/processing/input",
                    "S3DataType": "S3Prefix",
                },
            }
        ],
        "Tags": [{"Key": key, "Value": value} for key, value in tags],
    }


def test_processing_job_lifecycle_logs_and_stop(emulator, sagemaker, logs):
    arn = sagemaker.create_processing_job(**processing_request("prep", [("emulator:duration-seconds", "50")]))[
        "ProcessingJobArn"
    ]
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:processing-job/prep"
    job = wait_for(
        "completion",
        lambda: (lambda j: j if j["ProcessingJobStatus"] == "Completed" else None)(
            sagemaker.describe_processing_job(ProcessingJobName="prep")
        ),
    )
    assert job["ProcessingStartTime"] < job["ProcessingEndTime"]
    assert job["ProcessingInputs"][0]["S3Input"]["S3DataDistributionType"] == "FullyReplicated"
    streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/ProcessingJobs", logStreamNamePrefix="prep/")
    names = [stream["logStreamName"] for stream in streams["logStreams"]]
    assert [name.rsplit("-", 1)[0] for name in names] == ["prep/algo-1", "prep/algo-2"]

    sagemaker.create_processing_job(**processing_request("long", [("emulator:duration-seconds", "100000")]))
    sagemaker.stop_processing_job(ProcessingJobName="long")
    assert sagemaker.describe_processing_job(ProcessingJobName="long")["ProcessingJobStatus"] == "Stopping"
    with pytest.raises(ClientError) as excinfo:
        sagemaker.stop_processing_job(ProcessingJobName="long")
    assert error_code(excinfo) == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_processing_job(**processing_request("long"))
    assert error_code(excinfo) == "ResourceInUse"
    with pytest.raises(ClientError) as excinfo:
        sagemaker.describe_processing_job(ProcessingJobName="missing")
    assert error_code(excinfo) == "ValidationException"
    assert excinfo.value.response["Error"]["Message"] == "Could not find requested job with name missing"
    listed = sagemaker.list_processing_jobs(SortBy="Name", SortOrder="Ascending")["ProcessingJobSummaries"]
    assert [summary["ProcessingJobName"] for summary in listed] == ["long", "prep"]


def test_regions_are_separate(emulator):
    west = client_in(emulator, "sagemaker", "us-west-2")
    east = client_in(emulator, "sagemaker", "us-east-1")
    west.create_training_job(**training_request("same-name"))
    with pytest.raises(ClientError) as excinfo:
        east.describe_training_job(TrainingJobName="same-name")
    assert error_code(excinfo) == "ValidationException"
    assert east.list_training_jobs()["TrainingJobSummaries"] == []
    arn = east.create_training_job(**training_request("same-name"))["TrainingJobArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:training-job/same-name"
    resources = emulator.control("GET", "resources")
    assert resources["regions"]["us-west-2"]["trainingJobs"] == ["same-name"]
    assert resources["regions"]["us-east-1"]["trainingJobs"] == ["same-name"]
    assert emulator.control("GET", "resources?region=ap-south-1")["trainingJobs"] == []


def test_target_tracking_scales_the_variant(emulator, sagemaker):
    scaling = client_in(emulator, "application-autoscaling", "us-east-1")
    sagemaker.create_model(
        ModelName="m",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1"},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="c",
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
        ],
    )
    sagemaker.create_endpoint(EndpointName="e", EndpointConfigName="c")
    resource = "endpoint/e/variant/AllTraffic"
    dimension = "sagemaker:variant:DesiredInstanceCount"
    with pytest.raises(ClientError) as excinfo:
        scaling.put_scaling_policy(
            PolicyName="p",
            ServiceNamespace="sagemaker",
            ResourceId=resource,
            ScalableDimension=dimension,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 100.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            },
        )
    assert error_code(excinfo) == "ObjectNotFoundException"
    wait_for(
        "InService",
        lambda: sagemaker.describe_endpoint(EndpointName="e")["EndpointStatus"] == "InService",
    )
    scaling.register_scalable_target(
        ServiceNamespace="sagemaker", ResourceId=resource, ScalableDimension=dimension, MinCapacity=1, MaxCapacity=3
    )
    scaling.put_scaling_policy(
        PolicyName="p",
        ServiceNamespace="sagemaker",
        ResourceId=resource,
        ScalableDimension=dimension,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 100.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            "ScaleOutCooldown": 60,
            "ScaleInCooldown": 60,
        },
    )
    emulator.control(
        "PUT", "load", {"endpointName": "e", "variantName": "AllTraffic", "invocationsPerInstance": 250}
    )

    def count(wanted):
        endpoint = sagemaker.describe_endpoint(EndpointName="e")
        variant = endpoint["ProductionVariants"][0]
        return endpoint["EndpointStatus"] == "InService" and variant["CurrentInstanceCount"] == wanted

    wait_for("three instances", lambda: count(3))
    emulator.control("PUT", "load", {"endpointName": "e", "variantName": "AllTraffic", "invocationsPerInstance": 0})
    wait_for("back to one instance", lambda: count(1))
    policies = scaling.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=resource)
    assert [policy["PolicyName"] for policy in policies["ScalingPolicies"]] == ["p"]
    scaling.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=resource, ScalableDimension=dimension)
    assert scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []

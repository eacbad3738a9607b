"""Training jobs through boto3: every lifecycle path, the errors, and ListTrainingJobs."""

import time

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, error_message, training_request, wait_for


def terminal(sagemaker, name):
    def probe():
        job = sagemaker.describe_training_job(TrainingJobName=name)
        return job if job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped") else None

    return wait_for("terminal training job " + name, probe)


def test_completed_lifecycle(sagemaker):
    arn = sagemaker.create_training_job(**training_request("py-job"))["TrainingJobArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:training-job/py-job"
    first = sagemaker.describe_training_job(TrainingJobName="py-job")
    assert first["TrainingJobStatus"] == "InProgress"
    assert first["SecondaryStatus"] in ("Starting", "Downloading", "Training", "Uploading")
    job = terminal(sagemaker, "py-job")
    assert job["TrainingJobStatus"] == "Completed"
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting", "Downloading", "Training", "Uploading", "Completed"]
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == "s3://my-bucket/xgboost-mnist/output/py-job/output/model.tar.gz"
    assert job["FinalMetricDataList"][0]["MetricName"] == "validation:error"
    assert isinstance(job["FinalMetricDataList"][0]["Value"], float)
    assert job["BillableTimeInSeconds"] == 60
    assert job["TrainingEndTime"] >= job["TrainingStartTime"] > job["CreationTime"]
    assert job["LastModifiedTime"] == job["TrainingEndTime"]
    assert job["AlgorithmSpecification"]["MetricDefinitions"][0]["Regex"] == "validation-error:([0-9.]+)"


def test_failed_and_max_runtime_paths(sagemaker):
    sagemaker.create_training_job(**training_request(
        "py-fail", {"emulator:outcome": "Failed", "emulator:failure-reason": "ClientError: no data"}))
    sagemaker.create_training_job(**training_request("py-limit", {"emulator:outcome": "MaxRuntimeExceeded"}))
    failed = terminal(sagemaker, "py-fail")
    assert (failed["TrainingJobStatus"], failed["SecondaryStatus"]) == ("Failed", "Failed")
    assert failed["FailureReason"] == "ClientError: no data"
    limited = terminal(sagemaker, "py-limit")
    assert (limited["TrainingJobStatus"], limited["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")


def test_stop(sagemaker):
    sagemaker.create_training_job(**training_request("py-stop", {"emulator:duration-seconds": "5000"}))
    sagemaker.stop_training_job(TrainingJobName="py-stop")
    assert sagemaker.describe_training_job(TrainingJobName="py-stop")["TrainingJobStatus"] == "Stopping"
    stopped = terminal(sagemaker, "py-stop")
    assert (stopped["TrainingJobStatus"], stopped["SecondaryStatus"]) == ("Stopped", "Stopped")
    with pytest.raises(ClientError) as excinfo:
        sagemaker.stop_training_job(TrainingJobName="py-stop")
    assert error_code(excinfo) == "ValidationException"


def test_errors(sagemaker):
    sagemaker.create_training_job(**training_request("py-dup"))
    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_training_job(**training_request("py-dup"))
    assert error_code(excinfo) == "ResourceInUse"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    with pytest.raises(ClientError) as excinfo:
        sagemaker.describe_training_job(TrainingJobName="nope")
    assert (error_code(excinfo), error_message(excinfo)) == ("ValidationException", "Requested resource not found.")

    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_training_job(**training_request("has_underscore"))
    assert error_message(excinfo) == (
        "1 validation error detected: Value 'has_underscore' at 'trainingJobName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")

    request = training_request("py-missing")
    del request["RoleArn"]
    del request["OutputDataConfig"]
    # boto3 validates required members itself; send the request unvalidated to see the server's answer.
    client = sagemaker
    client.meta.events.register("before-parameter-build.sagemaker.CreateTrainingJob", lambda **kw: None)
    from botocore.config import Config
    import boto3
    raw = boto3.client("sagemaker", endpoint_url=client.meta.endpoint_url, region_name="us-east-1",
                       aws_access_key_id="a", aws_secret_access_key="b",
                       config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as excinfo:
        raw.create_training_job(**request)
    message = error_message(excinfo)
    assert message.startswith("2 validation errors detected: ")
    assert "Value null at 'roleArn' failed to satisfy constraint: Member must not be null" in message
    assert "Value null at 'outputDataConfig' failed to satisfy constraint: Member must not be null" in message

    with pytest.raises(ClientError) as excinfo:
        raw.create_training_job(**training_request("py-volume", ResourceConfig={
            "InstanceType": "ml.m4.xlarge", "InstanceCount": 1, "VolumeSizeInGB": -5}))
    assert "Value '-5' at 'resourceConfig.volumeSizeInGB' failed to satisfy constraint: " \
           "Member must have value greater than or equal to 0" in error_message(excinfo)


def test_list_filters_sorting_and_paging(sagemaker):
    for name in ["one-a", "two-b", "three-a", "four-b"]:
        duration = "1" if name != "four-b" else "9000"
        sagemaker.create_training_job(**training_request(name, {"emulator:duration-seconds": duration}))
        time.sleep(0.01)
    wait_for("three completed", lambda: len(sagemaker.list_training_jobs(StatusEquals="Completed")["TrainingJobSummaries"]) == 3)

    page = sagemaker.list_training_jobs(NameContains="-a", MaxResults=1, SortBy="Name", SortOrder="Ascending")
    assert [s["TrainingJobName"] for s in page["TrainingJobSummaries"]] == ["one-a"]
    page = sagemaker.list_training_jobs(NameContains="-a", MaxResults=1, SortBy="Name", SortOrder="Ascending",
                                        NextToken=page["NextToken"])
    assert [s["TrainingJobName"] for s in page["TrainingJobSummaries"]] == ["three-a"]
    assert "NextToken" not in page

    newest_first = sagemaker.list_training_jobs()["TrainingJobSummaries"]
    assert [s["TrainingJobName"] for s in newest_first] == ["four-b", "three-a", "two-b", "one-a"]
    running = sagemaker.list_training_jobs(StatusEquals="InProgress")["TrainingJobSummaries"]
    assert [s["TrainingJobName"] for s in running] == ["four-b"]
    assert running[0]["SecondaryStatus"] in ("Starting", "Downloading", "Training")

    pivot = sagemaker.describe_training_job(TrainingJobName="two-b")["CreationTime"]
    later = sagemaker.list_training_jobs(CreationTimeAfter=pivot)["TrainingJobSummaries"]
    assert sorted(s["TrainingJobName"] for s in later) == ["four-b", "three-a"]
    earlier = sagemaker.list_training_jobs(CreationTimeBefore=pivot)["TrainingJobSummaries"]
    assert [s["TrainingJobName"] for s in earlier] == ["one-a"]

    paginator = sagemaker.get_paginator("list_training_jobs")
    names = [s["TrainingJobName"] for page in paginator.paginate(PaginationConfig={"PageSize": 3})
             for s in page["TrainingJobSummaries"]]
    assert len(names) == 4

    with pytest.raises(ClientError) as excinfo:
        sagemaker.list_training_jobs(SortBy="Size")
    assert "Member must satisfy enum value set: [Name, CreationTime, Status]" in error_message(excinfo)

"""Hyperparameter tuning jobs through boto3."""

import re

import pytest
from botocore.exceptions import ClientError

from conftest import ROLE, error_code, error_message, wait_for


def tuning_request(name, number=4, parallel=2, objective="Minimize", tags=None):
    request = {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": objective, "MetricName": "validation:error"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": number, "MaxParallelTrainingJobs": parallel},
            "ParameterRanges": {
                "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "4"}],
                "ContinuousParameterRanges": [
                    {"Name": "eta", "MinValue": "0.01", "MaxValue": "1", "ScalingType": "Logarithmic"}],
            },
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"num_round": "10"},
            "AlgorithmSpecification": {"TrainingImage": "xgboost:1", "TrainingInputMode": "File"},
            "RoleArn": ROLE,
            "OutputDataConfig": {"S3OutputPath": "s3://my-bucket/hpo"},
            "ResourceConfig": {"InstanceType": "ml.m4.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    }
    if tags:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return request


def test_tuning_launches_children_and_reports_the_best(sagemaker):
    sagemaker.create_hyper_parameter_tuning_job(**tuning_request("py-hpo", tags={"emulator:duration-seconds": "15"}))
    peak = 0

    def probe():
        nonlocal peak
        job = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="py-hpo")
        peak = max(peak, job["TrainingJobStatusCounters"]["InProgress"])
        return job if job["HyperParameterTuningJobStatus"] == "Completed" else None

    job = wait_for("tuning completes", probe)
    assert peak <= 2
    assert job["TrainingJobStatusCounters"]["Completed"] == 4
    assert job["ObjectiveStatusCounters"] == {"Succeeded": 4, "Pending": 0, "Failed": 0}
    children = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="py-hpo", SortBy="FinalObjectiveMetricValue", SortOrder="Ascending")
    summaries = children["TrainingJobSummaries"]
    assert len(summaries) == 4
    assert all(re.fullmatch(r"py-hpo-00[1-4]-[0-9a-f]{8}", s["TrainingJobName"]) for s in summaries)
    assert all(0.01 <= float(s["TunedHyperParameters"]["eta"]) <= 1 for s in summaries)
    assert all(s["TunedHyperParameters"]["max_depth"] in ("2", "3", "4") for s in summaries)
    best = job["BestTrainingJob"]
    assert best["TrainingJobName"] == summaries[0]["TrainingJobName"], "Minimize: lowest value first and best"
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["MetricName"] == "validation:error"
    listed = sagemaker.list_hyper_parameter_tuning_jobs(StatusEquals="Completed")
    assert listed["HyperParameterTuningJobSummaries"][0]["HyperParameterTuningJobName"] == "py-hpo"


def test_stop_stops_children(sagemaker):
    sagemaker.create_hyper_parameter_tuning_job(**tuning_request("py-hpo-stop", number=6, parallel=3,
                                                                 tags={"emulator:duration-seconds": "9000"}))
    wait_for("children", lambda: len(sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="py-hpo-stop")["TrainingJobSummaries"]) == 3)
    sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="py-hpo-stop")
    wait_for("stopped", lambda: sagemaker.describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="py-hpo-stop")["HyperParameterTuningJobStatus"] == "Stopped")
    children = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="py-hpo-stop", StatusEquals="Stopped")["TrainingJobSummaries"]
    assert len(children) == 3


def test_tuning_errors(sagemaker):
    with pytest.raises(ClientError) as excinfo:
        sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="absent")
    assert error_code(excinfo) == "ResourceNotFound"
    assert error_message(excinfo).startswith("Amazon SageMaker can't find a tuning job")
    with pytest.raises(ClientError) as excinfo:
        sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="absent")
    assert error_code(excinfo) == "ResourceNotFound"
    sagemaker.create_hyper_parameter_tuning_job(**tuning_request("py-hpo-dup"))
    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_hyper_parameter_tuning_job(**tuning_request("py-hpo-dup"))
    assert error_code(excinfo) == "ResourceInUse"


def test_failed_children_fail_the_tuning_job(sagemaker):
    sagemaker.create_hyper_parameter_tuning_job(**tuning_request(
        "py-hpo-fail", number=2, parallel=2,
        tags={"emulator:outcome": "Failed", "emulator:failure-reason": "AlgorithmError: diverged"}))
    job = wait_for("failed", lambda: (lambda j: j if j["HyperParameterTuningJobStatus"] == "Failed" else None)(
        sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="py-hpo-fail")))
    assert job["FailureReason"] == "AlgorithmError: diverged"
    assert job["TrainingJobStatusCounters"]["NonRetryableError"] == 2
    assert "BestTrainingJob" not in job
    children = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="py-hpo-fail")["TrainingJobSummaries"]
    assert all(c["TrainingJobStatus"] == "Failed" and c["FailureReason"] == "AlgorithmError: diverged" for c in children)

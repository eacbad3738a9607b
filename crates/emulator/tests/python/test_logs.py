"""CloudWatch Logs through boto3: job streams, FilterLogEvents, GetLogEvents tokens."""

import re
import time

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, training_request, wait_for

GROUP = "/aws/sagemaker/TrainingJobs"


def test_job_streams_and_filtering(sagemaker, logs):
    sagemaker.create_training_job(**training_request("py-logs"))
    sagemaker.create_training_job(**training_request("py-logs-x"))
    wait_for("done", lambda: sagemaker.describe_training_job(TrainingJobName="py-logs")["TrainingJobStatus"] == "Completed")
    streams = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix="py-logs/")["logStreams"]
    names = [s["logStreamName"] for s in streams]
    assert len(names) == 2
    assert all(re.fullmatch(r"py-logs/algo-[12]-\d{10}", name) for name in names)
    events = logs.filter_log_events(logGroupName=GROUP, logStreamNamePrefix="py-logs/")["events"]
    assert events and all(e["logStreamName"].startswith("py-logs/") for e in events)
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    assert {e["logStreamName"] for e in events[:2]} == set(names), "instances interleave"

    forward = logs.get_log_events(logGroupName=GROUP, logStreamName=names[0], startFromHead=True, limit=2)
    assert len(forward["events"]) == 2
    following = logs.get_log_events(logGroupName=GROUP, logStreamName=names[0], nextToken=forward["nextForwardToken"], limit=2)
    assert following["events"][0]["timestamp"] >= forward["events"][1]["timestamp"]
    assert following["events"][0]["message"] != forward["events"][1]["message"]


def test_put_and_errors(logs):
    logs.create_log_group(logGroupName="/py")
    logs.create_log_stream(logGroupName="/py", logStreamName="s")
    base = int(time.time() * 1000) - 60000
    logs.put_log_events(logGroupName="/py", logStreamName="s",
                        logEvents=[{"timestamp": base + i, "message": "m%d" % i} for i in range(5)])
    page = logs.filter_log_events(logGroupName="/py", limit=2)
    assert [e["message"] for e in page["events"]] == ["m0", "m1"]
    rest = logs.filter_log_events(logGroupName="/py", nextToken=page["nextToken"])
    assert [e["message"] for e in rest["events"]] == ["m2", "m3", "m4"]
    with pytest.raises(ClientError) as excinfo:
        logs.create_log_group(logGroupName="/py")
    assert error_code(excinfo) == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as excinfo:
        logs.describe_log_streams(logGroupName="/none")
    assert error_code(excinfo) == "ResourceNotFoundException"

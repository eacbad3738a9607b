"""Fixtures: the emulator binary and moto's server as child processes, boto3 clients for both.

The emulator binary comes from $SAGEMAKER_EMULATOR_BIN (set by the test script); for local runs the
debug build in the workspace's target directory is used when the variable is unset.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

KEY = "AKIDEMULATORTEST"
SECRET = "emulator-test-secret"
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole"


def emulator_binary():
    configured = os.environ.get("SAGEMAKER_EMULATOR_BIN")
    if configured:
        return configured
    fallback = Path(__file__).resolve().parents[4] / "target" / "debug" / "sagemaker-emulator"
    if not fallback.exists():
        pytest.fail("SAGEMAKER_EMULATOR_BIN is not set and no debug build exists at %s" % fallback)
    return str(fallback)


class Emulator:
    def __init__(self, *extra):
        self.process = subprocess.Popen(
            [emulator_binary(), "--listen", "127.0.0.1:0", "--time-scale", "0.01", "--log-level", "warn", *extra],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.url

    def client(self, service, retries=1, key=KEY, secret=SECRET):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"total_max_attempts": retries, "mode": "standard"}),
        )

    def control(self, method, path, body=None):
        import json
        import urllib.request

        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + "/_emulator/" + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())

    def stop(self):
        self.process.kill()
        self.process.wait()


@pytest.fixture
def emulator():
    instance = Emulator()
    yield instance
    instance.stop()


@pytest.fixture
def sagemaker(emulator):
    return emulator.client("sagemaker")


@pytest.fixture
def logs(emulator):
    return emulator.client("logs")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def moto_url():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("moto server did not start")
            time.sleep(0.1)
    yield url
    process.kill()
    process.wait()


def wait_for(what, probe, timeout=10.0):
    """Polls probe() until it returns something truthy; fails after the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.02)


def training_request(name, tags=None, **overrides):
    request = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {
            "TrainingImage": "433757028032.dkr.ecr.us-west-2.amazonaws.com/xgboost:1",
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "validation:error", "Regex": "validation-error:([0-9.]+)"}],
        },
        "RoleArn": ROLE,
        "HyperParameters": {"max_depth": "5", "num_round": "10"},
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": "s3://my-bucket/xgboost-mnist/train/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                "ContentType": "text/csv",
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://my-bucket/xgboost-mnist/output"},
        "ResourceConfig": {"InstanceType": "ml.m4.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
    }
    if tags:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    request.update(overrides)
    return request


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def error_message(excinfo):
    return excinfo.value.response["Error"]["Message"]

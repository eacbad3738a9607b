"""SigV4 verification, STS, faults, rate limits and counters through boto3."""

import base64
import json

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from conftest import KEY, SECRET, Emulator, error_code, error_message


@pytest.fixture
def verifying():
    instance = Emulator("--credentials", "%s:%s" % (KEY, SECRET))
    yield instance
    instance.stop()


def jwt(claims):
    encode = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return "%s.%s.c2ln" % (encode({"alg": "RS256"}), encode(claims))


def test_signature_verification(verifying):
    verifying.client("sagemaker").list_training_jobs()
    with pytest.raises(ClientError) as excinfo:
        verifying.client("sagemaker", secret="wrong").list_training_jobs()
    assert error_code(excinfo) == "InvalidSignatureException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as excinfo:
        verifying.client("logs", key="AKIDOTHER").describe_log_groups()
    assert error_code(excinfo) == "UnrecognizedClientException"
    unsigned = boto3.client("sagemaker", endpoint_url=verifying.url, region_name="us-east-1",
                            config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as excinfo:
        unsigned.list_training_jobs()
    assert error_code(excinfo) == "MissingAuthenticationTokenException"


def test_sts_web_identity_then_signed_calls(verifying):
    sts = boto3.client("sts", endpoint_url=verifying.url, region_name="us-east-1",
                       config=Config(signature_version=UNSIGNED))
    token = jwt({"sub": "system:serviceaccount:sagemaker:operator", "aud": "sts.amazonaws.com", "iss": "https://oidc.test"})
    assumed = sts.assume_role_with_web_identity(RoleArn="arn:aws:iam::123456789012:role/operator",
                                                RoleSessionName="operator", WebIdentityToken=token)
    assert assumed["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/operator/operator"
    assert assumed["SubjectFromWebIdentityToken"] == "system:serviceaccount:sagemaker:operator"
    credentials = assumed["Credentials"]
    session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"], region_name="us-east-1")
    session.client("sagemaker", endpoint_url=verifying.url).list_training_jobs()
    identity = session.client("sts", endpoint_url=verifying.url).get_caller_identity()
    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == assumed["AssumedRoleUser"]["Arn"]
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role_with_web_identity(RoleArn="arn:aws:iam::123456789012:role/x", RoleSessionName="session",
                                          WebIdentityToken="not-a-jwt")
    assert error_code(excinfo) == "InvalidIdentityToken"


def test_faults_retries_rate_limits_and_counters(emulator):
    no_retries = emulator.client("sagemaker", retries=1)
    emulator.control("POST", "faults", {"operation": "ListTrainingJobs", "kind": "throttling", "count": 1})
    with pytest.raises(ClientError) as excinfo:
        no_retries.list_training_jobs()
    assert (error_code(excinfo), error_message(excinfo)) == ("ThrottlingException", "Rate exceeded")

    retrying = emulator.client("sagemaker", retries=4)
    for kind in ("throttling", "internal", "unavailable"):
        emulator.control("POST", "faults", {"operation": "ListTrainingJobs", "kind": kind, "count": 1})
    retrying.list_training_jobs()
    assert emulator.control("GET", "calls")["SageMaker.ListTrainingJobs"] == 5

    emulator.control("POST", "faults", {"operation": "*", "kind": "drop", "count": 1})
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        no_retries.list_training_jobs()

    emulator.control("PUT", "rate-limits", {"operation": "ListTrainingJobs", "perSecond": 0.1, "burst": 2})
    no_retries.list_training_jobs()
    no_retries.list_training_jobs()
    with pytest.raises(ClientError) as excinfo:
        no_retries.list_training_jobs()
    assert error_code(excinfo) == "ThrottlingException"
    emulator.control("POST", "reset", {})
    assert emulator.control("GET", "calls") == {}
    no_retries.list_training_jobs()


def test_every_fault_code_and_remaining_error_codes(emulator, sagemaker, logs):
    for kind, code, status in (("throttling", "ThrottlingException", 400), ("internal", "InternalFailure", 500),
                               ("unavailable", "ServiceUnavailable", 503)):
        emulator.control("POST", "faults", {"operation": "SageMaker.ListModels", "kind": kind, "count": 1})
        with pytest.raises(ClientError) as excinfo:
            sagemaker.list_models()
        assert error_code(excinfo) == code
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    sagemaker.list_models()

    sagemaker.create_model(ModelName="tagged", PrimaryContainer={"Image": "img"})
    arn = sagemaker.describe_model(ModelName="tagged")["ModelArn"]
    with pytest.raises(ClientError) as excinfo:
        sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(50)] + [])
        sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "one-more", "Value": "v"}])
    assert error_code(excinfo) == "ResourceLimitExceeded"

    logs.create_log_group(logGroupName="/codes")
    with pytest.raises(ClientError) as excinfo:
        logs.filter_log_events(logGroupName="/codes", logStreamNames=["a"], logStreamNamePrefix="a")
    assert error_code(excinfo) == "InvalidParameterException"

"""Fixtures shared by the handler tests."""
import json

import boto3
import pytest
import responses
from botocore import signers
from botocore.client import BaseClient

from pressroom import bootstrap
from pressroom_local.functions import handler
from tests.integration import helpers
from tests.permissions import Recorder
from tests.unit.adapters.test_flickr import CREDENTIALS, FakeFlickr


@pytest.fixture
def flickr(aws):
    """Flickr credentials in the secret, and a local double of Flickr answering for them."""
    boto3.client("secretsmanager").put_secret_value(SecretId="pressroom/flickr", SecretString=json.dumps(
        {"api_key": CREDENTIALS.api_key, "api_secret": CREDENTIALS.api_secret,
         "oauth_token": CREDENTIALS.oauth_token, "oauth_token_secret": CREDENTIALS.oauth_token_secret}))
    bootstrap.reset()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeFlickr(mock)


@pytest.fixture(autouse=True)
def permissions(monkeypatch):
    """Every AWS call a handler makes must be one its role in template.yaml allows (tests/permissions.py)."""
    recorder = Recorder()
    call, presign, presign_post = BaseClient._make_api_call, signers.generate_presigned_url, signers.generate_presigned_post

    def recorded_call(self, operation, params):
        recorder.note(self.meta.service_model.service_name, operation, params)
        return call(self, operation, params)

    def recorded_presign(self, ClientMethod, Params=None, **kwargs):
        # the browser's GET of a presigned URL is authorised as the signing role's own call
        operation = self.meta.method_to_api_mapping.get(ClientMethod, ClientMethod)
        recorder.note(self.meta.service_model.service_name, operation, Params or {})
        return presign(self, ClientMethod, Params=Params, **kwargs)

    def recorded_presign_post(self, Bucket, Key, *args, **kwargs):
        # the browser's POST of a presigned upload is authorised as the signing role's own put
        recorder.note("s3", "PutObject", {"Bucket": Bucket, "Key": Key})
        return presign_post(self, Bucket, Key, *args, **kwargs)

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded_call)
    monkeypatch.setattr(signers, "generate_presigned_url", recorded_presign)  # clients made later
    monkeypatch.setattr(signers, "generate_presigned_post", recorded_presign_post)
    monkeypatch.setattr(helpers, "handler", lambda name: recorder.wrap(name, handler(name)))
    yield recorder
    found = recorder.problems()
    assert not found, "calls the deployed roles would refuse:\n" + "\n".join(found)

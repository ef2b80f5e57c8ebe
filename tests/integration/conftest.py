"""Fixtures shared by the handler tests."""
import json

import boto3
import pytest
import responses

from pressroom import services
from tests.unit.test_publishing_flickr import CREDENTIALS, FakeFlickr


@pytest.fixture
def flickr(aws):
    """Flickr credentials in the secret, and a local double of Flickr answering for them."""
    boto3.client("secretsmanager").put_secret_value(SecretId="pressroom/flickr", SecretString=json.dumps(
        {"api_key": CREDENTIALS.api_key, "api_secret": CREDENTIALS.api_secret,
         "oauth_token": CREDENTIALS.oauth_token, "oauth_token_secret": CREDENTIALS.oauth_token_secret}))
    services.reset()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeFlickr(mock)

"""moto made to behave like AWS where the local stack relies on it: transactions that undo only
their own writes and copy no table, one partition read per query, and a server that takes
concurrent requests (a long poll letting the others in)."""
from __future__ import annotations

import threading
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from pressroom_local import motofixes, resources
from pressroom_local.stack import EndpointSession, _free_port

TABLE = "pressroom"


def item(pk: str, sk: str, **more: str) -> dict:
    return {"PK": {"S": pk}, "SK": {"S": sk}, **{k: {"S": v} for k, v in more.items()}}


@pytest.fixture
def ddb():
    motofixes.apply()
    with mock_aws():
        session = boto3.Session(region_name="eu-west-2")
        resources.create_all(session)
        yield session.client("dynamodb")


def test_a_cancelled_transaction_undoes_its_own_writes_and_nothing_else(ddb, monkeypatch):
    from moto.dynamodb.models import DynamoDBBackend

    ddb.put_item(TableName=TABLE, Item=item("PHOTO#a", "META", state="WAITING"))
    real = DynamoDBBackend.update_item

    def meanwhile(self, *args, **kwargs):  # another request's write lands while the transaction runs
        self.put_item(TABLE, item("PHOTO#b", "META", state="NEW"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", meanwhile)
    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": {"PK": {"S": "PHOTO#a"}, "SK": {"S": "META"}},
                        "UpdateExpression": "SET #s = :s", "ExpressionAttributeNames": {"#s": "state"},
                        "ExpressionAttributeValues": {":s": {"S": "DONE"}}}},
            {"Put": {"TableName": TABLE, "Item": item("PHOTO#a", "EVENT#1")}},
            {"Put": {"TableName": TABLE, "Item": item("PHOTO#a", "EVENT#0"),
                     "ConditionExpression": "attribute_exists(PK)"}},
        ])
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    get = lambda pk, sk: ddb.get_item(TableName=TABLE, Key={"PK": {"S": pk}, "SK": {"S": sk}}).get("Item")  # noqa: E731
    assert get("PHOTO#a", "META")["state"] == {"S": "WAITING"}  # its update undone
    assert get("PHOTO#a", "EVENT#1") is None  # its put undone
    assert get("PHOTO#b", "META")["state"] == {"S": "NEW"}  # the other write kept


def test_a_transaction_copies_no_table_and_a_query_reads_one_partition(ddb, monkeypatch):
    from moto.dynamodb.models import copy as moto_copy
    from moto.dynamodb.models.table import Table

    for n in range(30):
        ddb.put_item(TableName=TABLE, Item=item(f"PHOTO#{n}", "META", state="WAITING"))
    copied, real_deepcopy = [], moto_copy.deepcopy
    monkeypatch.setattr(moto_copy, "deepcopy", lambda value, *a: copied.append(type(value).__name__)
                        or real_deepcopy(value, *a))
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": item("PHOTO#1", "EVENT#1")}}])
    assert "Table" not in copied

    read, real_all = [], Table.all_items
    monkeypatch.setattr(Table, "all_items", lambda self: read.append(self) or real_all(self))
    page = ddb.query(TableName=TABLE, KeyConditionExpression="PK = :pk",
                     ExpressionAttributeValues={":pk": {"S": "PHOTO#1"}})
    assert [i["SK"]["S"] for i in page["Items"]] == ["EVENT#1", "META"]
    assert ddb.query(TableName=TABLE, KeyConditionExpression="PK = :pk",
                     ExpressionAttributeValues={":pk": {"S": "PHOTO#none"}})["Items"] == []


@pytest.fixture
def server():
    from moto.server import ThreadedMotoServer

    motofixes.apply()
    port = _free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    session = EndpointSession(f"http://127.0.0.1:{port}")
    urllib.request.urlopen(urllib.request.Request(f"{session.endpoint}/moto-api/reset", method="POST"), timeout=10)
    resources.create_all(session)
    yield session
    moto.stop()


def _client(session, service):
    return boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name="eu-west-2").client(
        service, endpoint_url=session.endpoint, config=Config(retries={"max_attempts": 0}))


def test_concurrent_conditional_transactions_lose_no_write(server):
    """Each thread moves a counter on by a transaction conditional on the value it read: every
    transaction that succeeded must be in the final value, and none may fail but on its condition."""
    db = _client(server, "dynamodb")
    db.put_item(TableName=TABLE, Item={"PK": {"S": "PHOTO#n"}, "SK": {"S": "META"}, "n": {"N": "0"}})
    won, problems = [], []

    def bump(worker: int) -> None:
        client = _client(server, "dynamodb")
        for attempt in range(25):
            seen = client.get_item(TableName=TABLE, Key={"PK": {"S": "PHOTO#n"}, "SK": {"S": "META"}},
                                   ConsistentRead=True)["Item"]["n"]["N"]
            try:
                client.transact_write_items(TransactItems=[
                    {"Update": {"TableName": TABLE, "Key": {"PK": {"S": "PHOTO#n"}, "SK": {"S": "META"}},
                                "UpdateExpression": "SET n = :next", "ConditionExpression": "n = :seen",
                                "ExpressionAttributeValues": {":seen": {"N": seen}, ":next": {"N": str(int(seen) + 1)}}}},
                    {"Put": {"TableName": TABLE, "Item": item("PHOTO#n", f"EVENT#{worker}#{attempt}")}},
                ])
                won.append(1)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    problems.append(repr(exc))
            except Exception as exc:
                problems.append(repr(exc))

    threads = [threading.Thread(target=bump, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    final = int(db.get_item(TableName=TABLE, Key={"PK": {"S": "PHOTO#n"}, "SK": {"S": "META"}})["Item"]["n"]["N"])
    events = db.query(TableName=TABLE, KeyConditionExpression="PK = :pk AND begins_with(SK, :e)",
                      ExpressionAttributeValues={":pk": {"S": "PHOTO#n"}, ":e": {"S": "EVENT#"}})["Count"]
    assert problems == []
    assert final == len(won) == events


def test_a_long_poll_lets_other_requests_in_while_it_waits(server, monkeypatch):
    from moto.sqs.models import Queue

    sqs = _client(server, "sqs")
    url = sqs.get_queue_url(QueueName="pressroom-publish")["QueueUrl"]
    waiting, got, real_wait = threading.Event(), [], Queue.wait_for_messages

    def wait_for_messages(self, timeout):  # the poll found nothing and waits
        waiting.set()
        return real_wait(self, timeout)

    monkeypatch.setattr(Queue, "wait_for_messages", wait_for_messages)

    def poll() -> None:
        got.extend(_client(server, "sqs").receive_message(QueueUrl=url, WaitTimeSeconds=20).get("Messages", []))

    poller = threading.Thread(target=poll)
    poller.start()
    assert waiting.wait(30)
    sqs.send_message(QueueUrl=url, MessageBody="hello")  # would wait for the poll to end, were it locked out
    poller.join(60)
    assert [m["Body"] for m in got] == ["hello"]


def test_dynamodb_answers_are_written_as_plain_json_and_read_back_the_same(ddb, monkeypatch):
    """moto's generic serializer took milliseconds per photo record, under the server's lock: the
    answers (already DynamoDB JSON) are written out as they are, binary values in base64."""
    from moto.core.serialize import ResponseSerializer

    record = {**item("PHOTO#a", "META", state="NEEDS_APPROVAL"),
              "analysis": {"M": {"faces": {"L": [{"M": {"box": {"L": [{"N": "0.25"}, {"N": "1"}]}}}]},
                                 "seen": {"BOOL": True}, "none": {"NULL": True}}},
              "tags": {"SS": ["a", "b"]}, "thumb": {"B": b"\x00\xff"}, "sizes": {"NS": ["1", "2.5"]}}
    ddb.put_item(TableName=TABLE, Item=record)
    ddb.put_item(TableName=TABLE, Item=item("PHOTO#a", "EVENT#1", event="created"))

    def walked(*args, **kwargs):
        raise AssertionError("moto's serializer walked a plain answer")

    monkeypatch.setattr(ResponseSerializer, "serialize", walked)
    assert ddb.get_item(TableName=TABLE, Key={"PK": {"S": "PHOTO#a"}, "SK": {"S": "META"}})["Item"] == record
    queried = ddb.query(TableName=TABLE, KeyConditionExpression="PK = :p",
                        ExpressionAttributeValues={":p": {"S": "PHOTO#a"}})
    assert queried["Count"] == 2 and record in queried["Items"]
    monkeypatch.undo()
    assert ddb.describe_table(TableName=TABLE)["Table"]["CreationDateTime"]  # a date: the serializer's, as before


def test_stream_records_are_written_as_plain_json_times_as_dates(ddb, monkeypatch):
    """GetRecords answers a hundred photo records (old and new images) at a time: as plain JSON too."""
    from datetime import datetime

    from moto.core.serialize import ResponseSerializer

    record = {**item("PHOTO#a", "META", state="RECEIVED"), "thumb": {"B": b"\x01"}, "n": {"N": "3"}}
    ddb.put_item(TableName=TABLE, Item=record)
    streams = boto3.client("dynamodbstreams", region_name="eu-west-2")
    arn = ddb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")

    def walked(*args, **kwargs):
        raise AssertionError("moto's serializer walked the stream's records")

    monkeypatch.setattr(ResponseSerializer, "serialize", walked)
    [got] = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=100)["Records"]
    assert got["dynamodb"]["NewImage"] == record and got["eventName"] == "INSERT"
    assert isinstance(got["dynamodb"]["ApproximateCreationDateTime"], datetime)


def test_an_update_expression_is_copied_node_by_node_and_the_original_left_as_it_was(ddb, monkeypatch):
    """moto deep-copied each parsed update expression before validating it (the soak's largest CPU
    share); the copy is made node by node now, equal to the original and sharing no node with it."""
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import Node
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    def walk(node):
        yield node
        for child in node.children or []:
            if isinstance(child, Node):
                yield from walk(child)

    parsed = UpdateExpressionParser.make("SET " + ", ".join(f"#f{i} = :f{i}" for i in range(40)) + " REMOVE gone")
    copied = motofixes.copy_ast(parsed)
    assert [(n.type, [c for c in n.children or [] if not isinstance(c, Node)]) for n in walk(copied)] == \
        [(n.type, [c for c in n.children or [] if not isinstance(c, Node)]) for n in walk(parsed)]
    assert not {id(n) for n in walk(copied)} & {id(n) for n in walk(parsed)}
    assert all(child.parent is node for node in walk(copied) for child in node.children or []
               if isinstance(child, Node))

    def generic(value, memo=None):
        assert not isinstance(value, Node), "an expression went through copy.deepcopy"
        return value

    monkeypatch.setattr(validators, "deepcopy", generic)
    names = {f"#f{i}": f"field{i}" for i in range(40)}
    values = {f":f{i}": {"N": str(i)} for i in range(40)}
    for pk in ("PHOTO#new", "PHOTO#new"):  # a new item (moto validates the expression twice), then an update
        ddb.update_item(TableName=TABLE, Key={"PK": {"S": pk}, "SK": {"S": "META"}},
                        UpdateExpression="SET " + ", ".join(f"#f{i} = :f{i}" for i in range(40)),
                        ExpressionAttributeNames=names, ExpressionAttributeValues=values)
    got = ddb.get_item(TableName=TABLE, Key={"PK": {"S": "PHOTO#new"}, "SK": {"S": "META"}})["Item"]
    assert got["field39"] == {"N": "39"} and len(got) == 42


def test_a_receive_reads_the_retention_period_without_counting_the_queue(monkeypatch):
    """Each received message's retention was checked by computing all its queue's attributes, the
    message counts among them: quadratic in the queue's length. Expired messages still go."""
    from moto.core import utils
    from moto.sqs.models import Queue

    motofixes.apply()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-2")
        url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        for n in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=str(n))
        counted = []
        monkeypatch.setattr(Queue, "attributes", property(lambda queue: counted.append(1) or {}))
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert sorted(m["Body"] for m in got) == ["0", "1", "2"] and not counted
        sqs.send_message(QueueUrl=url, MessageBody="late")
        real = utils.unix_time
        monkeypatch.setattr("moto.core.utils.unix_time", lambda *a: real(*a) + 120)
        assert not sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages")

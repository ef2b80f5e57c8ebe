"""Where moto differs from AWS in a way the pipeline can see, made to behave like AWS.

* S3 puts the object's ``versionId`` in the event notifications of a versioning-enabled bucket;
  moto 5 leaves it out. The scrub stage would not notice (it reads the version back with HeadObject),
  but the dead-letter stage has only the event to go on (it may not read originals), so without the
  version it would name a photo other than the one the scrub stage recorded.
* moto's server answers requests on threads, but its backends are plain dicts and lists: under
  concurrent requests it raised "dictionary changed size during iteration", and two receives could
  hand out one SQS message twice at once. Every request to the server now runs under one lock
  (:data:`LOCK`; moto is pure Python, so the GIL serialised it anyway). An SQS long poll gives the
  lock up while it waits, so it never holds up the rest.
* ``TransactWriteItems`` deep-copied every table it touched before each transaction, to restore
  it on failure: about 0.26 s a transaction at 1,900 items (a put took 0.07 s), and every state
  change of a photo is a transaction, so the local stack slowed as its table grew; and a failed
  transaction's restore put back the whole table as it was, undoing what other requests had
  written meanwhile. Now the conditions are checked and the writes made under the lock, and a
  failure puts back only the items the transaction had written (copies of those, taken before).
* A query of the table (not an index) sorted every item of the table to pick one partition's;
  it now looks at that partition only.
* moto 5.2 writes every DynamoDB answer through its generic serializer, which walks the answer
  against the operation's output shape, attribute value by attribute value: a photo record (its
  analysis, findings, captions) took milliseconds to write out, under the lock above, on every
  read of it. The answers are already in DynamoDB's JSON form, so they are written as JSON (bytes
  of binary attributes in base64, as the serializer writes them); an answer holding anything
  else (a table description's dates) still goes through the serializer. So are a stream's
  records (GetRecords: a hundred photo records, old and new images, per call), their times as
  epoch seconds as the serializer writes them.
* Every UpdateItem (each state change is one) deep-copied its parsed update expression with
  ``copy.deepcopy`` before validating it: for the twenty to forty fields a photo's transition
  sets, milliseconds each, and the largest share of the soak's CPU, under the lock. The copy
  (moto validates a copy, as it may validate one expression twice) is now made node by node.
* An SQS receive checked each message's retention by computing every attribute of its queue,
  the message counts among them (a walk over every message): a receive from a queue of two
  thousand messages walked four million. The retention period is read from the queue itself.
* moto's server listed its own package directory (a few hundred ``isdir`` calls) on every request
  to find the service a host name means; that list is read once.
"""
from __future__ import annotations

import base64
import copy
import inspect
import json
import threading
from datetime import datetime
from typing import Any

#: held by every request to the moto server (and by the patched backend calls below)
LOCK = threading.RLock()
_state = threading.local()


def apply() -> None:
    """Patch moto (once per process); a no-op where moto is not installed."""
    try:
        from moto.s3 import notifications
    except ImportError:  # deployed: there is no moto to patch
        return
    if getattr(notifications._get_s3_event, "pressroom_versioned", False):
        return
    _versioned_s3_events(notifications)
    _one_request_at_a_time()
    _long_polls_wait_unlocked()
    _transactions_without_table_copies()
    _queries_read_one_partition()
    _dynamodb_answers_as_plain_json()
    _stream_records_as_plain_json()
    _moto_modules_listed_once()
    _update_expressions_copied_node_by_node()
    _retention_read_from_the_queue()


def _versioned_s3_events(notifications: Any) -> None:
    original = notifications._get_s3_event

    def s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = original(event_name, bucket, key, notification_id)
        version = getattr(key, "version_id", None)
        if getattr(bucket, "is_versioned", False) and version and version != "null":
            for record in event["Records"]:
                record["s3"]["object"]["versionId"] = str(version)
        return event

    s3_event.pressroom_versioned = True  # type: ignore[attr-defined]
    notifications._get_s3_event = s3_event


def _one_request_at_a_time() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    dispatch = DomainDispatcherApplication.__call__

    def locked(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        with LOCK:
            _state.depth = getattr(_state, "depth", 0) + 1
            try:
                return dispatch(self, environ, start_response)
            finally:
                _state.depth -= 1

    DomainDispatcherApplication.__call__ = locked  # type: ignore[method-assign]


def _long_polls_wait_unlocked() -> None:
    from moto.core.utils import unix_time
    from moto.sqs.models import SQSBackend

    receive = SQSBackend.receive_message

    def receive_message(self: Any, queue_name: str, count: int, wait_seconds_timeout: int, *args: Any,
                        **kwargs: Any) -> Any:
        if not wait_seconds_timeout:
            return receive(self, queue_name, count, 0, *args, **kwargs)
        deadline = unix_time() + wait_seconds_timeout
        while True:
            found = receive(self, queue_name, count, 0, *args, **kwargs)
            left = deadline - unix_time()
            if found or left <= 0:
                return found
            depth = getattr(_state, "depth", 0)
            for _ in range(depth):  # let other requests in while this one waits
                LOCK.release()
            try:
                self.get_queue(queue_name).wait_for_messages(min(left, 1))
            finally:
                for _ in range(depth):
                    LOCK.acquire()

    SQSBackend.receive_message = receive_message  # type: ignore[method-assign]


def _transactions_without_table_copies() -> None:
    from moto.dynamodb.comparisons import get_filter_expression as condition_of
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        if len(transact_items) > 100:
            raise TooManyTransactionsException()
        with LOCK:
            written: list[tuple[Any, Any, Any, Any]] = []  # (table, hash, range, a copy of the item before)
            targets: set[tuple[str, str]] = set()
            errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
            try:
                for item in transact_items:
                    if len(item) > 1:
                        raise TransactWriteSingleOpException
                    original_item: dict[str, Any] | None = None
                    try:
                        op_type, op = next(iter(item.items()))
                        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                            raise ValueError("Unsupported transaction operation")
                        table_name = op["TableName"]
                        table = self.get_table(table_name)
                        if op_type == "Put":
                            attrs = op["Item"]
                            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                            if table.range_key_attr is not None:
                                key[table.range_key_attr] = attrs[table.range_key_attr]
                        else:
                            key = op["Key"]
                        target = (str(table_name), str(dict(sorted(key.items()))))
                        if target in targets:
                            raise MultipleTransactionsException()
                        targets.add(target)
                        current = self.get_item(table_name, key)
                        condition = op.get("ConditionExpression")
                        names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                        if condition is not None and not condition_of(condition, names, values).expr(current):
                            if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                                original_item = current.to_json()["Attributes"]
                            raise ConditionalCheckFailed(item=original_item)
                        if op_type != "ConditionCheck":
                            hash_value = DynamoType(key[table.hash_key_attr])
                            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
                            written.append((table, hash_value, range_value, copy.deepcopy(current)))
                        if op_type == "Put":
                            self.put_item(table_name, op["Item"], condition_expression=condition,
                                          expression_attribute_names=names, expression_attribute_values=values)
                        elif op_type == "Delete":
                            self.delete_item(table_name, key, condition_expression=condition,
                                             expression_attribute_names=names, expression_attribute_values=values)
                        elif op_type == "Update":
                            self.update_item(table_name, key, update_expression=op["UpdateExpression"],
                                             condition_expression=condition, expression_attribute_names=names,
                                             expression_attribute_values=values)
                        errors.append((None, None, None))
                    except (MultipleTransactionsException, MockValidationException, TransactWriteSingleOpException):
                        raise
                    except ConditionalCheckFailed as e:
                        errors.append(("ConditionalCheckFailed", str(e.message), original_item))
                    except Exception as e:  # noqa: BLE001 - moto reports any other failure as a reason
                        errors.append((type(e).__name__, str(e), original_item))
            except BaseException:
                _put_back(written)
                raise
            if any(code is not None for code, _, _ in errors):
                _put_back(written)
                raise TransactionCanceledException(errors)

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _put_back(written: list[tuple[Any, Any, Any, Any]]) -> None:
    """Undo a transaction's writes, newest first: each item as it was before it (or gone)."""
    for table, hash_value, range_value, before in reversed(written):
        if before is None:
            table.delete_item(hash_value, range_value)
        elif range_value is not None:
            table.items[hash_value][range_value] = before
        else:
            table.items[hash_value] = before


def _queries_read_one_partition() -> None:
    from moto.dynamodb.models.table import Table

    query, all_items = Table.query, Table.all_items
    signature = inspect.signature(query)

    def partition_items(self: Any) -> list[Any]:
        only = getattr(_state, "partition", None)
        if only is None or only[0] is not self:
            return all_items(self)
        found = self.items.get(only[1])
        if found is None:
            return []
        return sorted(found.values(), key=lambda item: item.range_key) if self.range_key_attr else [found]

    def one_partition_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        hash_key, index_name = bound.arguments.get("hash_key"), bound.arguments.get("index_name")
        if index_name is not None or hash_key is None:
            return query(self, *args, **kwargs)
        _state.partition = (self, hash_key)
        try:
            return query(self, *args, **kwargs)
        finally:
            _state.partition = None

    Table.query = one_partition_query  # type: ignore[method-assign]
    Table.all_items = partition_items  # type: ignore[method-assign]


class _NotPlain(TypeError):
    """An answer holding something other than JSON values and bytes: left to moto's serializer."""


def _plain(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise _NotPlain(type(value).__name__)


def _dynamodb_answers_as_plain_json() -> None:
    from moto.dynamodb.responses import DynamoResult

    serialize = DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        try:
            body = json.dumps(self.result, default=_plain)
        except _NotPlain:
            return serialize(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]


def schedules_listed(account: str, region: str, group: str) -> list[tuple[str, Any]]:
    """(name, last modified) of each schedule in ``group``, read from moto's backend in this process:
    what ListSchedules would answer, without writing thousands of schedules out on every round."""
    from moto.scheduler.models import scheduler_backends

    with LOCK:
        found = scheduler_backends[account][region].schedule_groups.get(group)
        return [(s.name, s.last_modified_date) for s in found.schedules.values()] if found else []


def _epoch_or_bytes(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    return _plain(value)


def _stream_records_as_plain_json() -> None:
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    def get_records(self: Any) -> Any:
        limit = self._get_param("Limit")
        result = self.backend.get_records(self._get_param("ShardIterator"), 1000 if limit is None else limit)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(result, default=_epoch_or_bytes)

    DynamoDBStreamsHandler.get_records = get_records  # type: ignore[method-assign]


def _moto_modules_listed_once() -> None:
    from moto import backends

    listed = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: listed


def copy_ast(node: Any, parent: Any = None) -> Any:
    """A copy of a parsed expression: each node copied, its children copied under it (what
    ``copy.deepcopy`` made, without its generic machinery); anything else deep-copied."""
    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]

    if not isinstance(node, Node):
        return copy.deepcopy(node)
    new = copy.copy(node)
    new.parent = parent if parent is not None else node.parent
    if isinstance(node.children, list):
        new.children = [copy_ast(child, new) for child in node.children]
    return new


def _update_expressions_copied_node_by_node() -> None:
    from moto.dynamodb.parsing.validators import Validator

    def __init__(self: Any, expression: Any, expression_attribute_names: dict[str, str],
                 expression_attribute_values: dict[str, dict[str, Any]], item: Any, table: Any) -> None:
        self.expression_attribute_names = expression_attribute_names
        self.expression_attribute_values = expression_attribute_values
        self.item = item
        self.table = table
        self.processors = self.get_ast_processors()
        self.node_to_validate = copy_ast(expression)

    Validator.__init__ = __init__  # type: ignore[method-assign]


def _retention_read_from_the_queue() -> None:
    from moto.core import utils
    from moto.sqs.models import SQSBackend

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        period = int(self.get_queue(queue_name).message_retention_period)
        return bool(period + message.sent_timestamp / 1000 > utils.unix_time())

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]

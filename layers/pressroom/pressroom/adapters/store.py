"""The photo table (DynamoDB single table): records, conditional transitions, audit trail."""
from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from itertools import islice
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from pressroom.domain import clock
from pressroom.domain.inbox import InboxItem, InboxState
from pressroom.domain.photos import TRANSITIONS, Photo, State

_SER = TypeSerializer()
_DES = TypeDeserializer()
BY_STATE_INDEX = "by-state"
#: audit events by their name and time (``event``, ``at``): only audit items have both
BY_EVENT_INDEX = "by-event"

_INBOX_STATE = "INBOX#"  # an inbox item's state in the by-state index: INBOX#new, INBOX#answered...
_STEP = "step_"  # a comment claim's attributes noting the steps done: step_emailed, step_replied


class StaleTransition(Exception):
    """The photo was not in the expected state: a duplicate or out-of-order event."""

    def __init__(self, photo_id: str, expected: State, actual: State | None):
        super().__init__(f"photo {photo_id} is {actual or 'unknown'}, not {expected}")
        self.photo_id = photo_id
        self.expected = expected
        self.actual = actual


class StaleInboxItem(Exception):
    """The inbox item changed since it was read (another press officer acted): read it again."""

    def __init__(self, comment_id: str):
        super().__init__(f"comment {comment_id} changed meanwhile")
        self.comment_id = comment_id


class IllegalTransition(ValueError):
    """A transition that the state machine does not allow (a programming error)."""


def now_iso() -> str:
    return clock.iso()


def _to_dynamo(value: Any) -> Any:
    """Python → DynamoDB-safe (floats as Decimal, empty strings kept, None dropped by callers)."""
    return json.loads(json.dumps(value), parse_float=Decimal)


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, set, tuple)):
        return [_from_dynamo(v) for v in value]
    return value


_PHOTO_FIELDS = {f.name for f in dataclasses.fields(Photo)}


def _inbox_from_item(item: dict[str, Any]) -> InboxItem:
    return InboxItem.from_json({**item, "state": str(item["state"]).removeprefix(_INBOX_STATE)})


def _photo_from_item(item: dict[str, Any]) -> Photo:
    data = {k: _from_dynamo(v) for k, v in item.items() if k in _PHOTO_FIELDS}
    data["state"] = State(data["state"])
    return Photo(**data)


class PhotoStore:
    """Reads and writes photo records through a low-level DynamoDB client."""

    def __init__(self, dynamodb: Any, table: str):
        self._db = dynamodb
        self._table = table

    # -- reading -------------------------------------------------------------------------------
    def get(self, photo_id: str) -> Photo | None:
        item = self._db.get_item(
            TableName=self._table, Key=self._key(photo_id, "META"), ConsistentRead=True
        ).get("Item")
        return _photo_from_item(self._plain(item)) if item else None

    def audit(self, photo_id: str) -> list[dict[str, Any]]:
        """The photo's audit trail, oldest first."""
        return [self._plain(i) for i in self._every({
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :ev)",
            "ExpressionAttributeValues": {":pk": {"S": f"PHOTO#{photo_id}"}, ":ev": {"S": "EVENT#"}},
        })]

    def by_state(self, state: State, limit: int = 100) -> list[Photo]:
        """Photos in ``state``, most recently changed first: one query of at most ``limit``."""
        return list(islice(self.each_in_state(state, page_size=limit), limit))

    def each_in_state(self, state: State, *, page_size: int | None = None) -> Iterator[Photo]:
        """Every photo in ``state``, most recently changed first, read a page (of at most
        ``page_size``, if given) at a time as it is needed."""
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": BY_STATE_INDEX, "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "state"}, "ExpressionAttributeValues": {":s": {"S": state.value}},
            "ScanIndexForward": False,
        }
        if page_size is not None:
            kwargs["Limit"] = page_size
        while True:
            page = self._db.query(**kwargs)
            yield from (_photo_from_item(self._plain(i)) for i in page["Items"])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def uploaded_by(self, uploader: str, states: tuple[State, ...], *, per_state: int = 50) -> list[Photo]:
        """The photos ``uploader`` uploaded that are in one of ``states``, most recently changed first:
        a query of the by-state index per state, of its newest ``per_state``, kept when the uploader
        matches (case-insensitively). The desk's "My photos"."""
        wanted = uploader.strip().lower()
        found = [p for state in states for p in self.by_state(state, per_state) if p.uploader.strip().lower() == wanted]
        return sorted(found, key=lambda p: p.updated_at, reverse=True)

    def record_desk(self, *, actor: str, event: str, detail: dict[str, Any] | None = None) -> None:
        """An audit event of the desk that concerns no one photo (a sign-in, an upload before the
        photo exists, a review page opened): ``PK=DESK#<yyyy-mm>``, one item per event."""
        stamp = now_iso()
        item = {"at": stamp, "event": event, "actor": actor, "detail": detail or {}}
        self._db.put_item(TableName=self._table, Item={
            "PK": {"S": f"DESK#{stamp[:7]}"}, "SK": {"S": f"EVENT#{stamp}#{uuid.uuid4().hex[:8]}"},
            **self._serialize(item)})

    def desk_events(self, month: str) -> list[dict[str, Any]]:
        """The desk's audit events of ``month`` (``yyyy-mm``), oldest first."""
        return [self._plain(i) for i in self._every({
            "TableName": self._table, "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"DESK#{month}"}},
        })]

    @classmethod
    def photo_from_image(cls, image: dict[str, Any] | None) -> Photo | None:
        """The photo a table stream record's image (DynamoDB JSON) holds; None when the image is
        not a photo's ``META`` item (an audit event, an album, the account)."""
        if not image or image.get("SK", {}).get("S") != "META" or not str(
                image.get("PK", {}).get("S", "")).startswith("PHOTO#"):
            return None
        return _photo_from_item(cls._plain(image))

    # -- writing -------------------------------------------------------------------------------
    def create(self, photo: Photo, *, actor: str, detail: dict[str, Any] | None = None) -> bool:
        """Store a new photo in its first state; False if it already exists (a duplicate event)."""
        stamp = now_iso()
        photo.created_at = photo.created_at or stamp
        photo.updated_at = stamp
        photo.revision = 1
        item = dataclasses.asdict(photo)
        item["state"] = photo.state.value
        meta = {**self._key(photo.id, "META"), **self._serialize(item)}
        event = self._event_item(photo.id, stamp, 1, "created", actor, None, photo.state, detail)
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self._table, "Item": meta,
                             "ConditionExpression": "attribute_not_exists(PK)"}},
                    {"Put": {"TableName": self._table, "Item": event}},
                ]
            )
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def transition(
        self,
        photo_id: str,
        expected: State,
        to: State,
        *,
        actor: str,
        changes: dict[str, Any] | None = None,
        detail: dict[str, Any] | None = None,
        condition: tuple[str, dict[str, Any]] | None = None,
    ) -> Photo:
        """Move a photo from ``expected`` to ``to``, recording an audit event, atomically.

        Raises :class:`StaleTransition` when the photo is not in ``expected`` (so a duplicate
        delivery changes nothing), or ``condition`` (an expression and its values) does not hold,
        and :class:`IllegalTransition` for a move the machine forbids.
        """
        if to not in TRANSITIONS[expected]:
            raise IllegalTransition(f"{expected} → {to} is not a transition")
        return self._write(photo_id, expected, to, actor=actor, changes=changes or {},
                           event=f"{expected.value}→{to.value}", detail=detail, condition=condition)

    def update(
        self,
        photo_id: str,
        expected: State,
        *,
        actor: str,
        event: str,
        changes: dict[str, Any] | None = None,
        detail: dict[str, Any] | None = None,
        condition: tuple[str, dict[str, Any]] | None = None,
    ) -> Photo:
        """Change fields of a photo that must still be in ``expected``, with an audit event.

        ``condition`` adds an extra expression (and its values) that must hold too.
        """
        return self._write(photo_id, expected, None, actor=actor, changes=changes or {},
                           event=event, detail=detail, condition=condition)

    def claim_notice(self, photo_id: str, field: str, now: str, stale_before: str) -> bool:
        """Claim the sending of the notice that ``field`` (e.g. ``notified_at``) records as sent: true
        for the one delivery that may send it now (none has gone, and no claim newer than
        ``stale_before`` is held). The claim is ``<field>_claim``; it leaves the revision alone."""
        return self._conditional_update(
            self._key(photo_id, "META"), f"SET {field}_claim = :now",
            f"attribute_exists(PK) AND (attribute_not_exists({field}) OR {field} = :never) AND "
            f"(attribute_not_exists({field}_claim) OR {field}_claim < :stale)",
            {":now": {"S": now}, ":never": {"S": ""}, ":stale": {"S": stale_before}})

    def release_notice(self, photo_id: str, field: str, claimed: str) -> bool:
        """Give up the claim made at ``claimed`` (its send failed): the next delivery may send."""
        return self._conditional_update(self._key(photo_id, "META"), f"REMOVE {field}_claim",
                                        f"{field}_claim = :claimed", {":claimed": {"S": claimed}})

    def record(self, photo_id: str, *, actor: str, event: str, detail: dict[str, Any] | None = None) -> None:
        """Append an audit event without changing the photo."""
        item = self._event_item(photo_id, now_iso(), uuid.uuid4().hex[:8], event, actor, None, None, detail)
        self._db.put_item(TableName=self._table, Item=item)

    # -- images --------------------------------------------------------------------------------
    def first_with_image(self, sha256: str, photo_id: str) -> str:
        """The photo that first recorded a scrubbed image with this SHA-256: ``photo_id`` itself when
        no photo had (it is recorded now, ``PK=IMAGE#<sha256>, SK=FIRST``), else the earlier one."""
        key = {"PK": {"S": f"IMAGE#{sha256}"}, "SK": {"S": "FIRST"}}
        item = {**key, **self._serialize({"photo_id": photo_id, "at": now_iso()})}
        try:
            self._db.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(PK)")
        except ClientError as exc:
            if not condition_failed(exc):
                raise
            first = self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item") or {}
            return str(self._plain(first).get("photo_id") or photo_id)
        return photo_id

    # -- the account ---------------------------------------------------------------------------
    def account(self) -> dict[str, Any]:
        item = self._db.get_item(TableName=self._table, Key=self._account_key(), ConsistentRead=True).get("Item")
        return self._plain(item) if item else {}

    def update_account(self, changes: dict[str, Any], *, if_newer: str | None = None,
                       if_absent: str | None = None) -> bool:
        """Set account fields; with ``if_newer``, only when ``last_published_at`` is older; with
        ``if_absent``, only when the account has no such field. False when the condition failed."""
        names = {f"#a{i}": k for i, k in enumerate(changes)}
        values = {f":a{i}": _SER.serialize(_to_dynamo(v)) for i, v in enumerate(changes.values())}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._account_key(),
            "UpdateExpression": "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(changes))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if if_newer is not None:
            kwargs["ConditionExpression"] = "attribute_not_exists(last_published_at) OR last_published_at < :when"
            kwargs["ExpressionAttributeValues"][":when"] = {"S": if_newer}
        if if_absent is not None:
            kwargs["ConditionExpression"] = "attribute_not_exists(#absent)"
            kwargs["ExpressionAttributeNames"]["#absent"] = if_absent
        try:
            self._db.update_item(**kwargs)
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def claim_stale_reminder(self, due: str, next_due: str, schedule: str, at: str, last_published: str | None) -> bool:
        """Mark the stale-account firing for ``due`` reminded and move the due time to ``next_due``,
        unless a firing for ``due`` already did or a publish happened meanwhile (False then)."""
        values = {":due": {"S": due}, ":next": {"S": next_due}, ":name": {"S": schedule}, ":at": {"S": at}}
        condition = "(attribute_not_exists(reminded_due) OR reminded_due <> :due)"
        if last_published:
            condition += " AND last_published_at = :last"
            values[":last"] = {"S": last_published}
        else:
            condition += " AND attribute_not_exists(last_published_at)"
        return self._conditional_update(
            self._account_key(), "SET reminded_due = :due, reminded_at = :at, stale_due = :next, stale_schedule = :name",
            condition, values)

    def unclaim_stale_reminder(self, due: str) -> bool:
        """Undo :meth:`claim_stale_reminder` (its email failed), so that a retry sends it."""
        return self._conditional_update(self._account_key(), "SET stale_due = :due REMOVE reminded_due, reminded_at",
                                        "reminded_due = :due", {":due": {"S": due}})

    # -- comments ------------------------------------------------------------------------------
    def claim_feed_read(self, now: str, due: str) -> bool:
        """Take the activity feed's turn: True if it was last read at ``due`` or earlier (or never)."""
        return self._conditional_update(self._feed_key(), "SET read_at = :now",
                                        "attribute_not_exists(read_at) OR read_at <= :due",
                                        {":now": {"S": now}, ":due": {"S": due}})

    def release_feed_read(self) -> None:
        """Hand the feed's turn back (it could not be read)."""
        self._db.update_item(TableName=self._table, Key=self._feed_key(), UpdateExpression="REMOVE read_at")

    def claim_comment(self, comment_id: str, *, photo_id: str, site_photo_id: str, now: str, stale_before: str,
                      expires_at: int) -> dict[str, str] | None:
        """Mark a comment as being handled; return the steps an earlier handling noted, or None if
        it was seen before (and neither handed back nor left ``handling`` since before ``stale_before``)."""
        try:
            old = self._db.update_item(
                TableName=self._table, Key=self._comment_key(comment_id),
                UpdateExpression="SET photo_id = :p, site_photo_id = :s, seen_at = :now, outcome = :handling, "
                                 "expires_at = :exp",
                ConditionExpression="attribute_not_exists(PK) OR outcome = :retry "
                                    "OR (outcome = :handling AND seen_at < :stale)",
                ExpressionAttributeValues={
                    ":p": {"S": photo_id}, ":s": {"S": site_photo_id}, ":now": {"S": now},
                    ":handling": {"S": "handling"}, ":retry": {"S": "retry"}, ":stale": {"S": stale_before},
                    ":exp": {"N": str(expires_at)},
                },
                ReturnValues="ALL_OLD",
            )
        except ClientError as exc:
            if condition_failed(exc):
                return None
            raise
        old_item = old.get("Attributes", {})
        return {k.removeprefix(_STEP): v["S"] for k, v in old_item.items() if k.startswith(_STEP)}

    def note_comment_step(self, comment_id: str, name: str, value: str) -> None:
        """Note on a comment's claim that step ``name`` is done (``value``: when, or what it made)."""
        self._db.update_item(TableName=self._table, Key=self._comment_key(comment_id), UpdateExpression="SET #n = :v",
                             ExpressionAttributeNames={"#n": _STEP + name}, ExpressionAttributeValues={":v": {"S": value}})

    def finish_comment(self, comment_id: str, outcome: str) -> None:
        self._db.update_item(TableName=self._table, Key=self._comment_key(comment_id),
                             UpdateExpression="SET outcome = :o", ExpressionAttributeValues={":o": {"S": outcome}})

    # -- comment replies: one per author and photo (PK=REPLY#<site photo id>#<author>, SK=REPLIED) -----
    def claim_reply(self, site_photo_id: str, author: str, comment_id: str, now: str) -> bool:
        """Whether ``comment_id`` may be the one answered for ``author`` on the photo: nobody by
        this author was answered there yet (or this very comment was, by a handling cut short)."""
        try:
            self._db.update_item(
                TableName=self._table, Key=self._reply_key(site_photo_id, author),
                UpdateExpression="SET comment_id = :c, claimed_at = if_not_exists(claimed_at, :now)",
                ConditionExpression="attribute_not_exists(PK) OR comment_id = :c",
                ExpressionAttributeValues={":c": {"S": comment_id}, ":now": {"S": now}})
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    # -- the daily digest (PK=DIGEST#<day>; SK=COMMENT#<id> a comment, SK=SENT its claim) ----------
    def add_to_digest(self, day: str, comment_id: str, entry: dict[str, Any], expires_at: int) -> None:
        """Put a comment in ``day``'s digest (again is harmless: same item)."""
        values = {f":v{i}": _SER.serialize(_to_dynamo(v)) for i, v in enumerate(entry.values())}
        names = {f"#n{i}": k for i, k in enumerate(entry)}
        sets = ", ".join(f"#n{i} = :v{i}" for i in range(len(entry)))
        self._db.update_item(TableName=self._table, Key=self._digest_key(day, f"COMMENT#{comment_id}"),
                             UpdateExpression=f"SET {sets}, expires_at = :exp", ExpressionAttributeNames=names,
                             ExpressionAttributeValues={**values, ":exp": {"N": str(expires_at)}})

    def digest(self, day: str) -> list[dict[str, Any]]:
        """Every comment in ``day``'s digest, in the order they were added."""
        entries = [{k: v for k, v in self._plain(item).items() if k not in ("PK", "SK")} for item in self._every({
            "TableName": self._table, "KeyConditionExpression": "PK = :pk AND begins_with(SK, :c)",
            "ExpressionAttributeValues": {":pk": {"S": f"DIGEST#{day}"}, ":c": {"S": "COMMENT#"}}, "ConsistentRead": True})]
        return sorted(entries, key=lambda e: (str(e.get("handled_at", "")), str(e.get("comment_id", ""))))

    def claim_digest(self, day: str, now: str, stale_before: str, expires_at: int) -> bool:
        """Take the sending of ``day``'s digest: nobody sent it, nor is sending it since ``stale_before``."""
        try:
            self._db.update_item(
                TableName=self._table, Key=self._digest_key(day, "SENT"),
                UpdateExpression="SET #s = :sending, claimed_at = :now, expires_at = :exp",
                ConditionExpression="attribute_not_exists(PK) OR #s = :retry OR (#s = :sending AND claimed_at < :stale)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":sending": {"S": "sending"}, ":retry": {"S": "retry"}, ":now": {"S": now},
                                           ":stale": {"S": stale_before}, ":exp": {"N": str(expires_at)}})
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def finish_digest(self, day: str, outcome: str) -> None:
        """``outcome``: "sent" (or "empty"), or "retry" to hand the digest back to the next run."""
        self._db.update_item(TableName=self._table, Key=self._digest_key(day, "SENT"), UpdateExpression="SET #s = :o",
                             ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":o": {"S": outcome}})

    # -- albums --------------------------------------------------------------------------------
    def album(self, album: str) -> dict[str, Any]:
        """The item of ``album``'s photoset (``PK=ALBUM#<album>, SK=PHOTOSET``): ``claim`` and
        ``lease_until`` of the delivery that makes it, ``photoset_id`` once made; {} if none."""
        item = self._db.get_item(TableName=self._table, Key=self._album_key(album), ConsistentRead=True).get("Item")
        return self._plain(item) if item else {}

    def claim_album(self, album: str, claim: str, lease_until: str, *, over: str | None = None) -> bool:
        """Take the making of ``album``'s photoset: when nobody has, or (``over``) from the claim
        that is still there. False if another delivery claimed it first."""
        condition, values = "attribute_not_exists(PK)", {}
        if over is not None:
            condition, values = "claim = :over", {":over": {"S": over}}
        item = {**self._album_key(album), **self._serialize({"album": album, "claim": claim, "lease_until": lease_until})}
        try:
            self._db.put_item(TableName=self._table, Item=item, ConditionExpression=condition,
                              **({"ExpressionAttributeValues": values} if values else {}))
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def record_album(self, album: str, claim: str, photoset_id: str) -> bool:
        """Store the photoset made under ``claim``; False if another delivery took the claim over."""
        try:
            self._db.update_item(TableName=self._table, Key=self._album_key(album),
                                 UpdateExpression="SET photoset_id = :id", ConditionExpression="claim = :mine",
                                 ExpressionAttributeValues={":id": {"S": photoset_id}, ":mine": {"S": claim}})
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    # -- upload batches (PK=ALBUM#<album>: SK=MEMBER#<photo id>, SK=BATCH#<batch id>) -------------
    def join_batch(self, album: str, photo_id: str, state: State) -> bool:
        """Add a new photo to its album's open batch; False if it was added before (announced or not)."""
        item = {**self._member_key(album, photo_id),
                **self._serialize({"album": album, "photo_id": photo_id, "state": state.value, "joined_at": now_iso()})}
        try:
            self._db.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(PK)")
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def note_member(self, album: str, photo_id: str, state: State) -> bool:
        """Record a batch member's new state; False if it is in no open batch (announced, or never joined)."""
        try:
            self._db.update_item(TableName=self._table, Key=self._member_key(album, photo_id),
                                 UpdateExpression="SET #s = :s",
                                 ConditionExpression="attribute_exists(PK) AND attribute_not_exists(announced)",
                                 ExpressionAttributeNames={"#s": "state"},
                                 ExpressionAttributeValues={":s": {"S": state.value}})
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def open_batch(self, album: str) -> list[dict[str, Any]]:
        """The members of ``album``'s open batch (photo_id, state, joined_at), first joined first."""
        members = (self._plain(i) for i in self._every({
            "TableName": self._table, "ConsistentRead": True,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :member)",
            "ExpressionAttributeValues": {":pk": {"S": f"ALBUM#{album}"}, ":member": {"S": "MEMBER#"}},
        }))
        return sorted((m for m in members if not m.get("announced")),
                      key=lambda m: (m.get("joined_at", ""), m.get("photo_id", "")))

    def claim_batch(self, album: str, batch_id: str, lease_until: str, now: str) -> str:
        """Take the announcing of a batch: ``mine``; ``busy`` while another delivery's lease runs;
        ``sent`` once it was announced."""
        key = self._batch_key(album, batch_id)
        item = self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        found = self._plain(item) if item else None
        if found and found.get("sent_at"):
            return "sent"
        if found and str(found.get("lease_until", "")) > now:
            return "busy"
        condition, values = "attribute_not_exists(PK)", {}
        if found:
            condition, values = "lease_until = :seen", {":seen": {"S": str(found.get("lease_until", ""))}}
        try:
            self._db.put_item(TableName=self._table, Item={**key, **self._serialize({
                "album": album, "batch_id": batch_id, "lease_until": lease_until})}, ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}))
        except ClientError as exc:
            if condition_failed(exc):
                return "busy"
            raise
        return "mine"

    def batch_sent(self, album: str, batch_id: str, summary: dict[str, Any], *, keep_until: int) -> None:
        """Record the announcement of a batch (kept until ``keep_until``, epoch seconds)."""
        self._db.update_item(TableName=self._table, Key=self._batch_key(album, batch_id),
                             UpdateExpression="SET sent_at = :at, summary = :summary, expires_at = :ttl",
                             ExpressionAttributeValues={":at": {"S": now_iso()}, ":summary": _SER.serialize(_to_dynamo(summary)),
                                                        ":ttl": {"N": str(keep_until)}})

    def close_batch(self, album: str, batch_id: str, photo_ids: list[str], *, keep_until: int) -> None:
        """Mark the members of an announced batch, so that they never join another (their marks
        expire at ``keep_until``, epoch seconds, when no delivery of their records is still due)."""
        for photo_id in photo_ids:
            self._db.update_item(TableName=self._table, Key=self._member_key(album, photo_id),
                                 UpdateExpression="SET announced = :batch, expires_at = :ttl",
                                 ExpressionAttributeValues={":batch": {"S": batch_id}, ":ttl": {"N": str(keep_until)}})

    # -- the comment inbox (PK=INBOX#<comment id>, SK=ITEM) ---------------------------------------
    # One item per comment the monitor read. Its ``state`` is ``INBOX#<state>`` so that the by-state
    # index lists each inbox state apart from the photos' states; every change is a put conditional
    # on the revision read, with its audit event on the photo's trail in the same transaction, so two
    # press officers acting at once never overwrite each other: the second is told it changed.
    def add_to_inbox(self, item: InboxItem) -> bool:
        """Put a comment the monitor read into the inbox; False if it is there already (a retry)."""
        stamp = now_iso()
        first = dataclasses.replace(item, revision=1, updated_at=stamp)
        try:
            self._db.put_item(TableName=self._table, Item=self._inbox_item(first),
                              ConditionExpression="attribute_not_exists(PK)")
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def inbox_item(self, comment_id: str) -> InboxItem | None:
        item = self._db.get_item(TableName=self._table, Key=self._inbox_key(comment_id),
                                 ConsistentRead=True).get("Item")
        return _inbox_from_item(self._plain(item)) if item else None

    def inbox(self, state: InboxState, limit: int | None = 200) -> list[InboxItem]:
        """Inbox items in ``state``, most recently changed first, at most ``limit`` (None: all)."""
        found: list[InboxItem] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": BY_STATE_INDEX, "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": {":s": {"S": _INBOX_STATE + state.value}}, "ScanIndexForward": False,
            **({"Limit": limit} if limit is not None else {}),
        }
        while limit is None or len(found) < limit:
            page = self._db.query(**kwargs)
            found += [_inbox_from_item(self._plain(i)) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:limit]

    def save_inbox(self, before: InboxItem, after: InboxItem, *, actor: str, event: str,
                   detail: dict[str, Any] | None = None) -> InboxItem:
        """Replace ``before`` (as read) by ``after`` (a transition, an assignment, a reply, a follow-up
        record, a reminder's mark), with audit ``event`` on the photo's trail; both or neither.

        Raises :class:`StaleInboxItem` if the item changed since ``before`` was read."""
        stamp = now_iso()
        saved = dataclasses.replace(after, revision=before.revision + 1, updated_at=stamp)
        moved = {"from": before.state.value, "to": saved.state.value} if before.state != saved.state else {}
        audit = self._event_item(before.photo_id, stamp, uuid.uuid4().hex[:8], event, actor, None, None,
                                 {"comment_id": before.comment_id, **moved, **(detail or {})})
        try:
            self._db.transact_write_items(TransactItems=[
                {"Put": {"TableName": self._table, "Item": self._inbox_item(saved),
                         "ConditionExpression": "revision = :rev",
                         "ExpressionAttributeValues": {":rev": {"N": str(before.revision)}}}},
                {"Put": {"TableName": self._table, "Item": audit}},
            ])
        except ClientError as exc:
            if condition_failed(exc):
                raise StaleInboxItem(before.comment_id) from exc
            raise
        return saved

    def _inbox_item(self, item: InboxItem) -> dict[str, Any]:
        data = item.as_json()
        data["state"] = _INBOX_STATE + item.state.value
        return {**self._inbox_key(item.comment_id), **self._serialize(data)}

    @staticmethod
    def _inbox_key(comment_id: str) -> dict[str, Any]:
        return {"PK": {"S": f"INBOX#{comment_id}"}, "SK": {"S": "ITEM"}}

    # -- internals -----------------------------------------------------------------------------
    def _write(self, photo_id: str, expected: State, to: State | None, *, actor: str, changes: dict[str, Any],
               event: str, detail: dict[str, Any] | None,
               condition: tuple[str, dict[str, Any]] | None = None) -> Photo:
        current = self.get(photo_id)
        if current is None or current.state != expected:
            raise StaleTransition(photo_id, expected, current.state if current else None)
        stamp = now_iso()
        revision = current.revision + 1
        sets = dict(changes)
        sets["updated_at"] = stamp
        sets["revision"] = revision
        if to is not None:
            sets["state"] = to.value
        names = {f"#f{i}": k for i, k in enumerate(sets)}
        values = {f":f{i}": _SER.serialize(_to_dynamo(v)) for i, v in enumerate(sets.values())}
        values[":expected"] = {"S": expected.value}
        values[":rev"] = {"N": str(current.revision)}
        cond = "#state = :expected AND #revision = :rev"
        names.update({"#state": "state", "#revision": "revision"})
        if condition:
            cond += f" AND ({condition[0]})"
            values.update({k: _SER.serialize(_to_dynamo(v)) for k, v in condition[1].items()})
        update = {
            "TableName": self._table,
            "Key": self._key(photo_id, "META"),
            "UpdateExpression": "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(sets))),
            "ConditionExpression": cond,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        audit = self._event_item(photo_id, stamp, revision, event, actor, expected, to, detail)
        try:
            self._db.transact_write_items(
                TransactItems=[{"Update": update}, {"Put": {"TableName": self._table, "Item": audit}}]
            )
        except ClientError as exc:
            if condition_failed(exc):
                latest = self.get(photo_id)
                raise StaleTransition(photo_id, expected, latest.state if latest else None) from exc
            raise
        for key, value in sets.items():
            if key in _PHOTO_FIELDS:
                setattr(current, key, State(value) if key == "state" else value)
        return current

    def _event_item(self, photo_id: str, stamp: str, n: int | str, event: str, actor: str, from_state: State | None,
                    to_state: State | None, detail: dict[str, Any] | None) -> dict[str, Any]:
        item: dict[str, Any] = {"at": stamp, "event": event, "actor": actor, "detail": detail or {}}
        if from_state is not None:
            item["from"] = from_state.value
        if to_state is not None:
            item["to"] = to_state.value
        return {**self._key(photo_id, f"EVENT#{stamp}#{n}"), **self._serialize(item)}

    @staticmethod
    def _key(photo_id: str, sk: str) -> dict[str, Any]:
        return {"PK": {"S": f"PHOTO#{photo_id}"}, "SK": {"S": sk}}

    @staticmethod
    def _album_key(album: str) -> dict[str, Any]:
        return {"PK": {"S": f"ALBUM#{album}"}, "SK": {"S": "PHOTOSET"}}

    @staticmethod
    def _member_key(album: str, photo_id: str) -> dict[str, Any]:
        return {"PK": {"S": f"ALBUM#{album}"}, "SK": {"S": f"MEMBER#{photo_id}"}}

    @staticmethod
    def _batch_key(album: str, batch_id: str) -> dict[str, Any]:
        return {"PK": {"S": f"ALBUM#{album}"}, "SK": {"S": f"BATCH#{batch_id}"}}

    @staticmethod
    def _account_key() -> dict[str, Any]:
        return {"PK": {"S": "ACCOUNT"}, "SK": {"S": "STATE"}}

    @staticmethod
    def _feed_key() -> dict[str, Any]:
        return {"PK": {"S": "ACCOUNT"}, "SK": {"S": "COMMENTS-FEED"}}  # read_at: when the feed was last read

    @staticmethod
    def _reply_key(site_photo_id: str, author: str) -> dict[str, Any]:
        return {"PK": {"S": f"REPLY#{site_photo_id}#{author}"}, "SK": {"S": "REPLIED"}}

    @staticmethod
    def _digest_key(day: str, sk: str) -> dict[str, Any]:
        return {"PK": {"S": f"DIGEST#{day}"}, "SK": {"S": sk}}

    @staticmethod
    def _comment_key(comment_id: str) -> dict[str, Any]:
        return {"PK": {"S": f"COMMENT#{comment_id}"}, "SK": {"S": "SEEN"}}

    def _conditional_update(self, key: dict[str, Any], expression: str, condition: str,
                            values: dict[str, Any]) -> bool:
        try:
            self._db.update_item(TableName=self._table, Key=key, UpdateExpression=expression,
                                 ConditionExpression=condition, ExpressionAttributeValues=values)
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    # -- subject requests ----------------------------------------------------------------------
    def items_mentioning(self, who: str) -> list[dict[str, Any]]:
        """Every item (photo records, audit items, comment and account items) holding ``who`` (an
        email address or a Flickr user id, matched whole and regardless of case) in any value.

        A scan: subject requests are rare and the table is small; no index could find a value
        nested anywhere in an item."""
        items = (self._plain(i) for i in self._every({"TableName": self._table, "ConsistentRead": True}, scan=True))
        return [item for item in items if _holds(item, who)]

    def pseudonymise(self, item: dict[str, Any], who: str, pseudonym: str) -> bool:
        """Replace ``who`` by ``pseudonym`` wherever it appears in ``item`` (one found by
        :meth:`items_mentioning`), leaving its keys, state and revision as they are. False when the
        item changed since it was read (read it again and retry)."""
        replaced = _replace(item, who, pseudonym)
        condition, values = "attribute_exists(PK)", {}
        if "revision" in item:  # a photo record: only over the revision read, so no transition is lost
            condition, values = "attribute_exists(PK) AND revision = :r", {":r": _SER.serialize(item["revision"])}
        try:
            self._db.put_item(TableName=self._table, Item=self._serialize(replaced),
                              ConditionExpression=condition, **({"ExpressionAttributeValues": values} if values else {}))
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def record_erasure(self, erasure_id: str, *, at: str, actor: str, reason: str, counts: dict[str, int]) -> None:
        """The record that an erasure was done: when, by whom, why and how much, never whose."""
        self._db.put_item(TableName=self._table, Item={
            "PK": {"S": f"ERASURE#{erasure_id}"}, "SK": {"S": "RECORD"},
            **self._serialize({"at": at, "actor": actor, "reason": reason, "counts": counts})})

    def erasures(self) -> list[dict[str, Any]]:
        items = self._db.scan(TableName=self._table, FilterExpression="begins_with(PK, :e)",
                              ExpressionAttributeValues={":e": {"S": "ERASURE#"}}, ConsistentRead=True)["Items"]
        return [self._plain(i) for i in items]

    # -- reports: a month's audit events, read by name and time (index by-event) -----------------
    def events_between(self, event: str, start: str, end: str) -> list[dict[str, Any]]:
        """The audit events named ``event`` at ``start`` or later and before ``end`` (ISO 8601 UTC,
        as :func:`now_iso` writes them), oldest first: each ``photo_id``, ``event``, ``at``, ``detail``."""
        kwargs = self._events_query(event, "#at BETWEEN :start AND :end", {":start": {"S": start}, ":end": {"S": end}})
        return [e for e in map(self._event_of, self._every(kwargs)) if e["at"] < end]

    def last_event_before(self, event: str, before: str) -> dict[str, Any] | None:
        """The latest audit event named ``event`` before ``before``, or None: one read."""
        kwargs = self._events_query(event, "#at < :before", {":before": {"S": before}})
        items = self._db.query(**kwargs, ScanIndexForward=False, Limit=1)["Items"]
        return self._event_of(items[0]) if items else None

    def photo_facts(self, photo_ids: list[str], fields: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        """``fields`` of the photo records of ``photo_ids`` (batch reads), by id; photos not found
        are left out."""
        names = {f"#p{i}": name for i, name in enumerate(("id", *fields))}
        keys = [self._key(pid, "META") for pid in dict.fromkeys(photo_ids)]
        return {str(item["id"]): item for item in self._batch_get(keys, names)}

    def inbox_items(self, comment_ids: list[str]) -> list[InboxItem]:
        """The inbox items of ``comment_ids`` (batch reads); comments not in the inbox are left out."""
        return [_inbox_from_item(item) for item in self._batch_get(
            [self._inbox_key(cid) for cid in dict.fromkeys(comment_ids)])]

    def _batch_get(self, keys: list[dict[str, Any]], names: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """The items of ``keys`` (with only the attributes ``names`` maps, if given), 100 a request,
        asking again for any DynamoDB left unprocessed."""
        found: list[dict[str, Any]] = []
        projection = {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names} if names else {}
        for first in range(0, len(keys), 100):
            request: dict[str, Any] = {self._table: {"Keys": keys[first:first + 100], **projection}}
            while request:
                answer = self._db.batch_get_item(RequestItems=request)
                found += [self._plain(item) for item in answer["Responses"].get(self._table, [])]
                request = answer.get("UnprocessedKeys") or {}
        return found

    def _events_query(self, event: str, condition: str, values: dict[str, Any]) -> dict[str, Any]:
        return {"TableName": self._table, "IndexName": BY_EVENT_INDEX,
                "KeyConditionExpression": f"#event = :event AND {condition}",
                "ExpressionAttributeNames": {"#event": "event", "#at": "at"},
                "ExpressionAttributeValues": {":event": {"S": event}, **values}}

    @classmethod
    def _event_of(cls, item: dict[str, Any]) -> dict[str, Any]:
        plain = cls._plain(item)
        return {"photo_id": str(plain["PK"]).removeprefix("PHOTO#"), "event": plain["event"], "at": plain["at"],
                "detail": plain.get("detail") or {}}

    @staticmethod
    def _serialize(item: dict[str, Any]) -> dict[str, Any]:
        return {k: _SER.serialize(_to_dynamo(v)) for k, v in item.items()}

    @staticmethod
    def _plain(item: dict[str, Any]) -> dict[str, Any]:
        return {k: _from_dynamo(_DES.deserialize(v)) for k, v in item.items()}

    def _every(self, kwargs: dict[str, Any], *, scan: bool = False) -> Iterator[dict[str, Any]]:
        """Every item a query (or scan) of ``kwargs`` finds, page after page, as DynamoDB wrote it."""
        read = self._db.scan if scan else self._db.query
        while True:
            page = read(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs = {**kwargs, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def _whole(who: str) -> re.Pattern[str]:
    """``who`` as a whole address or id: ``ann@x.org`` is not found inside ``joann@x.org``."""
    return re.compile(r"(?<![\w.+-])" + re.escape(who) + r"(?![\w@-]|\.\w)", re.IGNORECASE)


def _holds(value: Any, who: str) -> bool:
    if isinstance(value, str):
        return bool(_whole(who).search(value))
    if isinstance(value, dict):
        return any(_holds(k, who) or _holds(v, who) for k, v in value.items() if k not in ("PK", "SK"))
    if isinstance(value, list):
        return any(_holds(v, who) for v in value)
    return False


def _replace(value: Any, who: str, pseudonym: str) -> Any:
    if isinstance(value, str):
        return _whole(who).sub(pseudonym, value)
    if isinstance(value, dict):
        return {k if k in ("PK", "SK") else _replace(k, who, pseudonym): v if k in ("PK", "SK") else
                _replace(v, who, pseudonym) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, who, pseudonym) for v in value]
    return value


def condition_failed(exc: ClientError) -> bool:
    """Whether DynamoDB refused a write (or a transaction) because its condition did not hold."""
    code = exc.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = exc.response.get("CancellationReasons") or []
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons) or not reasons
    return False


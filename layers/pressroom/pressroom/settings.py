"""Typed settings, read once per process from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from datetime import timedelta
from functools import lru_cache
from typing import get_type_hints

from pressroom.domain.inbox import OfficeHours

_PREFIX = "PRESSROOM_"


@dataclass(frozen=True)
class Settings:
    """Everything a handler needs to know about its deployment.

    Each field is read from ``PRESSROOM_<FIELD NAME IN UPPER CASE>``; secrets are *names*
    of Secrets Manager entries, never the secret values themselves.
    """

    raw_bucket: str = "pressroom-raw"
    clean_bucket: str = "pressroom-clean"
    table_name: str = "pressroom"
    policy_queue_url: str = ""
    approval_queue_url: str = ""
    publish_queue_url: str = ""
    publish_queue_arn: str = ""  # the target of an embargoed photo's publish-at schedule
    publish_at_role_arn: str = ""  # the role that schedule runs as (may send to the publish queue only)
    publish_dead_letter_queue_arn: str = ""  # the publish function ends the photos of its dead letters
    amend_queue_url: str = ""  # take-downs and approved corrections of published photos, for Flickr
    approval_base_url: str = "http://127.0.0.1:8787"
    sender: str = "pressroom@press-office.example"
    approvers_parameter: str = "/pressroom/approvers"
    #: each approver group is the parameter <prefix><group> (e.g. /pressroom/groups/safeguarding-leads)
    groups_parameter_prefix: str = "/pressroom/groups/"
    press_office_parameter: str = "/pressroom/press-office"
    #: addresses told at once of threats and disclosures of harm, beside the press office ("" for none)
    control_room_parameter: str = ""
    signing_key_secret: str = "pressroom/approval-signing-key"
    #: signs the take-down links of published notices and the links to review a correction
    published_links_secret: str = "pressroom/published-links-key"
    flickr_secret: str = "pressroom/flickr"
    #: what Flickr is told about a photo unless its upload declares otherwise (domain/flickr_options.py)
    flickr_licence: str = "all-rights-reserved"
    flickr_comments: str = "everyone"
    flickr_safety: str = "safe"
    flickr_content_type: str = "photo"
    #: Mastodon and Bluesky accounts to post batch announcements to ("": cross-posting is off)
    crosspost_secret: str = ""
    link_ttl_seconds: int = 7 * 24 * 3600
    takedown_link_ttl_seconds: int = 90 * 24 * 3600
    #: what a take-down does on Flickr: ``delete`` the photo, or make it ``private`` (a consent
    #: withdrawal always deletes)
    takedown_mode: str = "delete"
    #: the EventBridge bus that receives BatchPublished events
    event_bus_name: str = "default"
    approval_reminder_seconds: int = 48 * 3600
    stale_after_days: int = 14
    max_receive_count: int = 5  # the queues' maxReceiveCount: the last attempt before the DLQ
    comments_window_days: int = 30
    comments_digest_hour: int = 7  # the daily digest of comments nobody acted on is sent from this hour (UTC)
    #: the press office's hours (the comment inbox's response times count only these): weekdays as
    #: ``mon-fri`` or ``mon,tue,sat``, times ``HH:MM`` local to ``office_timezone``
    office_days: str = "mon-fri"
    office_opens: str = "09:00"
    office_closes: str = "17:00"
    office_timezone: str = "Europe/London"
    #: days the office is shut although a weekday: ISO dates separated by commas ("" for none)
    bank_holidays: str = ""
    #: a question unanswered after this many minutes of office hours is past its target (reminded once)
    question_target_minutes: int = 240
    scheduler_group: str = "pressroom"
    scheduler_role_arn: str = ""
    staleness_function_arn: str = ""
    approval_timer_function_arn: str = ""
    max_pixels: int = 100_000_000
    max_upload_bytes: int = 200 * 1024 * 1024
    preview_url_seconds: int = 900
    local_album_dir: str = ""
    #: image analysis: "analysis-function" (in-account, its own function), "local" (in-account, in
    #: this process), "rekognition" (Amazon Rekognition) or "offline" (none: the approver checks)
    detector: str = "local"
    analysis_function: str = ""
    aws_endpoint_url: str = ""
    #: the desk's sign-in: the user pool's issuer (its keys are at <issuer>/.well-known/jwks.json),
    #: the desk's app client, and the hosted login's base URL (<base>/oauth2/authorize, /oauth2/token,
    #: /logout). Empty: the desk signs nobody in.
    desk_issuer: str = ""
    desk_client_id: str = ""
    desk_login_url: str = ""
    region: str = "eu-west-2"

    def office_hours(self) -> OfficeHours:
        """The press office's hours; a clear error names a setting that is wrong."""
        return OfficeHours.parse(self.office_days, self.office_opens, self.office_closes, self.office_timezone,
                                 self.bank_holidays)

    def question_target(self) -> timedelta:
        """How long (of office hours) a question may wait for an answer."""
        if self.question_target_minutes <= 0:
            raise ValueError(f"{_PREFIX}QUESTION_TARGET_MINUTES must be above 0: {self.question_target_minutes}")
        return timedelta(minutes=self.question_target_minutes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        hints = get_type_hints(cls)
        values: dict[str, object] = {}
        for field in fields(cls):
            raw = env.get(_PREFIX + field.name.upper())
            if raw is None:
                continue
            try:
                values[field.name] = hints[field.name](raw) if hints[field.name] is int else raw
            except ValueError as exc:
                raise ValueError(f"{_PREFIX}{field.name.upper()} must be {hints[field.name].__name__}: {raw!r}") from exc
        if "region" not in values and env.get("AWS_REGION"):
            values["region"] = env["AWS_REGION"]
        return cls(**values)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings (cached; call ``get_settings.cache_clear()`` after changing env)."""
    return Settings.from_env()

"""The adapters a process uses, built once from its settings."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pressroom.adapters import aws, parameters
from pressroom.adapters.mail import Mailer, SesMailer
from pressroom.adapters.store import PhotoStore
from pressroom.settings import Settings, get_settings

if TYPE_CHECKING:
    from pressroom.adapters.parameters import FlickrCredentials, Parameters
    from pressroom.adapters.publisher import Publisher
    from pressroom.adapters.timers import Timers
    from pressroom.domain.photos import Photo
    from pressroom.guidance.detector import Detector
    from pressroom.guidance.meaning import Judge
    from pressroom.stages.approval_api import ApprovalApi
    from pressroom.stages.approval_timer import ApprovalTimer
    from pressroom.stages.comments import CommentsMonitor
    from pressroom.stages.dead_letters import DeadLetters
    from pressroom.stages.desk_approvals import DeskApprovals
    from pressroom.stages.desk_signin import DeskIdentity, DeskSignIn
    from pressroom.stages.desk_uploads import DeskUploads
    from pressroom.stages.inbox import Inbox, InboxPages
    from pressroom.stages.photo_events import PhotoEvents
    from pressroom.stages.policy import Checker
    from pressroom.stages.publish import PublishStage
    from pressroom.stages.reports import MonthlyReports
    from pressroom.stages.request_approval import RequestApproval
    from pressroom.stages.scrub import Intake
    from pressroom.stages.staleness import ReminderTimer, StalenessReminder
    from pressroom.stages.takedown import TakedownPages, TakedownStage
    from pressroom.stages.update import CorrectionPages, CorrectionStage


@lru_cache(maxsize=1)
def store() -> PhotoStore:
    return PhotoStore(aws.client("dynamodb"), get_settings().table_name)


@lru_cache(maxsize=1)
def mailer() -> Mailer:
    return SesMailer(aws.client("ses"), get_settings().sender)


@lru_cache(maxsize=1)
def detector() -> Detector:
    """In-account image analysis (its own function when deployed, in this process for the local
    stack), Amazon Rekognition if the deployment chose it, or none ("offline")."""
    from pressroom.adapters.local_vision import AnalysisFunctionDetector, LocalVisionDetector
    from pressroom.adapters.rekognition import RekognitionDetector
    from pressroom.guidance.detector import OfflineDetector

    settings = get_settings()
    if settings.detector == "offline":
        return OfflineDetector()
    if settings.detector == "local":
        return LocalVisionDetector()
    if settings.detector == "analysis-function":
        return AnalysisFunctionDetector(aws.client("lambda"), settings.analysis_function)
    if settings.detector == "rekognition":
        return RekognitionDetector(aws.client("rekognition"))
    raise ValueError(
        f"PRESSROOM_DETECTOR must be analysis-function, local, rekognition or offline: {settings.detector!r}"
    )


def judge() -> Judge:
    """The caption judge of meaning shipped in the layer (loaded once per process)."""
    from pressroom.guidance.judged import packaged_judge

    return packaged_judge()


def publisher() -> Publisher:
    return make_publisher(parameters.flickr_credentials(), get_settings())


def make_publisher(credentials: FlickrCredentials | None, settings: Settings) -> Publisher:
    """Flickr when ``credentials`` are given; else the local album when ``settings.local_album_dir``
    is set (the local stack); else a deployment with no Flickr yet, which publishes nothing."""
    if credentials is not None:
        from pressroom.adapters.flickr import connect

        return connect(credentials)
    if settings.local_album_dir:
        from pressroom.adapters.local_album import LocalAlbum

        return LocalAlbum(Path(settings.local_album_dir))
    from pressroom.adapters.publisher import Unconfigured

    return Unconfigured(settings.flickr_secret)


def crossposters() -> list[Any]:
    """The networks batch announcements are cross-posted to: none unless configured."""
    from pressroom.adapters.crosspost import configured

    return list(configured(parameters.crosspost_settings()))


@lru_cache(maxsize=1)
def timers() -> Timers:
    from pressroom.adapters.timers import Timers

    settings = get_settings()
    return Timers(aws.client("scheduler"), settings.scheduler_group, settings.scheduler_role_arn)


@lru_cache(maxsize=1)
def addresses() -> Parameters:
    """Approvers, the press office and the link-signing key (SSM and Secrets Manager)."""
    from pressroom.adapters.parameters import Parameters

    return Parameters()


@lru_cache(maxsize=1)
def request_approval() -> RequestApproval:
    from pressroom.stages.request_approval import RequestApproval

    return RequestApproval(get_settings(), store(), mailer(), timers(), addresses(), aws.client("s3"))


@lru_cache(maxsize=1)
def approval_api() -> ApprovalApi:
    from pressroom.stages.approval_api import ApprovalApi

    return ApprovalApi(get_settings(), store(), mailer(), timers(), request_approval(), aws.client("s3"),
                       aws.client("sqs"))


@lru_cache(maxsize=1)
def approval_timer() -> ApprovalTimer:
    from pressroom.stages.approval_timer import ApprovalTimer

    return ApprovalTimer(get_settings(), store(), mailer(), timers(), aws.client("sqs"), request_approval())


@lru_cache(maxsize=1)
def scrub() -> Intake:
    from pressroom.stages.scrub import Intake

    return Intake(get_settings(), store(), aws.client("s3"), mailer())


@lru_cache(maxsize=1)
def policy() -> Checker:
    from pressroom.stages.policy import Checker

    return Checker(get_settings(), store(), aws.client("s3"), aws.client("sqs"), mailer(), detector(), judge())


@lru_cache(maxsize=1)
def dead_letters() -> DeadLetters:
    from pressroom.stages.dead_letters import DeadLetters

    return DeadLetters(get_settings(), store(), aws.client("sqs"), mailer())


def reminder_timer() -> ReminderTimer:
    from pressroom.stages.staleness import ReminderTimer

    return ReminderTimer(get_settings(), store(), timers())


def staleness() -> StalenessReminder:
    from pressroom.stages.staleness import StalenessReminder

    return StalenessReminder(reminder_timer(), mailer(), parameters.press_office)


def comments() -> CommentsMonitor:
    """The monitor, which also reminds the press office of questions past their target (it runs
    every 15 minutes, so a reminder goes within 15 minutes of a question passing it)."""
    from pressroom.stages.comments import CommentsMonitor

    settings = get_settings()
    site = publisher()
    return CommentsMonitor(store(), site, mailer(), parameters.press_office,
                           control_room=parameters.control_room, window=timedelta(days=settings.comments_window_days),
                           digest_hour=settings.comments_digest_hour,
                           remind=lambda: make_inbox(site).remind())  # wrong office hours fail the reminder only


def inbox() -> Inbox:
    """The desk's comment inbox. Not cached: the publisher follows the Flickr secret."""
    return make_inbox(publisher())


def inbox_pages() -> InboxPages:
    """The inbox's desk pages (the desk function's /desk/comments and /desk/escalated routes)."""
    from pressroom.stages.inbox import InboxPages

    return InboxPages(inbox(), parameters.press_office)


def make_inbox(site: Publisher) -> Inbox:
    from pressroom.stages.inbox import ESCALATION_GROUP, Inbox

    settings = get_settings()
    return Inbox(store(), site, mailer(), parameters.press_office,
                 lambda: parameters.members(ESCALATION_GROUP) + parameters.control_room(),
                 settings.office_hours(), settings.question_target(), desk_url=settings.approval_base_url)


def publish() -> PublishStage:
    """Not cached: the publisher follows the Flickr secret, which may be filled in after a cold start."""
    from pressroom.adapters.timers import Timers
    from pressroom.stages.publish import PublishStage

    settings = get_settings()
    held = Timers(aws.client("scheduler"), settings.scheduler_group, settings.publish_at_role_arn)

    def schedule(name: str, when: datetime, message: dict[str, Any]) -> None:
        held.arm(name, when, settings.publish_queue_arn, message)

    return PublishStage(settings, store(), aws.client("s3"), publisher(), mailer(), reminder_timer(),
                        parameters.press_office, schedule=schedule if settings.publish_queue_arn else None)


def takedown() -> TakedownStage:
    """Not cached: the publisher follows the Flickr secret, as for publishing."""
    from pressroom.stages.takedown import TakedownStage

    return TakedownStage(get_settings(), store(), publisher(), mailer(), parameters.press_office,
                         max_attempts=get_settings().max_receive_count)


def corrections() -> CorrectionStage:
    from pressroom.stages.update import CorrectionStage

    return CorrectionStage(get_settings(), store(), publisher(), max_attempts=get_settings().max_receive_count)


@lru_cache(maxsize=1)
def takedown_pages() -> TakedownPages:
    from pressroom.stages.takedown import TakedownPages

    return TakedownPages(get_settings(), store(), parameters.published_links_key,
                         parameters.previous_published_links_keys, parameters.press_office)


@lru_cache(maxsize=1)
def correction_pages() -> CorrectionPages:
    from pressroom.stages.update import CorrectionPages, reviewers

    return CorrectionPages(get_settings(), store(), parameters.published_links_key,
                           parameters.previous_published_links_keys,
                           lambda: reviewers(parameters.approvers, parameters.members))


@lru_cache(maxsize=1)
def photo_events() -> PhotoEvents:
    from pressroom.stages.announce import Batches
    from pressroom.stages.photo_events import PhotoEvents

    settings = get_settings()
    batches = Batches(settings, store(), mailer(), aws.client("s3"), aws.client("events"), parameters.press_office,
                      crossposters)
    return PhotoEvents(settings, store(), mailer(), aws.client("sqs"), parameters.press_office,
                       parameters.published_links_key, batches)


@lru_cache(maxsize=1)
def desk_identity() -> DeskIdentity:
    """Who a desk request is: its session cookie's ID token, verified against the user pool's keys
    (fetched from its issuer, kept an hour)."""
    from pressroom.adapters.idp import KeySet
    from pressroom.stages.desk_signin import DeskIdentity

    settings = get_settings()
    return DeskIdentity(settings, KeySet(settings.desk_issuer.rstrip("/") + "/.well-known/jwks.json"))


@lru_cache(maxsize=1)
def desk_signin() -> DeskSignIn:
    """Signing in: the hosted login's token endpoint, and the approval signing key (which keys the
    desk's CSRF tokens)."""
    from pressroom.adapters.idp import exchange_code
    from pressroom.stages.desk_signin import DeskSignIn

    return DeskSignIn(get_settings(), store(), desk_identity(), parameters.signing_key, exchange_code)


@lru_cache(maxsize=1)
def desk_uploads() -> DeskUploads:
    from pressroom.stages.desk_uploads import DeskUploads

    return DeskUploads(get_settings(), store(), aws.browser_s3())


@lru_cache(maxsize=1)
def desk_approvals() -> DeskApprovals:
    from pressroom.stages.desk_approvals import DeskApprovals

    return DeskApprovals(store(), approval_api(), parameters.signing_key)


def monthly_reports() -> MonthlyReports:
    """A month's report over the table (the desk's page and CSV, ``pressroom report``), response
    times from the comment inbox."""
    from pressroom.stages.reports import MonthlyReports

    return MonthlyReports(store(), get_settings(), inbox_items=store().inbox_items)


def retry_failed(photo_id: str, *, actor: str = "cli") -> Photo:
    """``pressroom retry PHOTO_ID``: a PUBLISH_FAILED photo queued to publish again."""
    from pressroom.stages.publish import requeue

    return requeue(store(), aws.client("sqs"), get_settings().publish_queue_url, photo_id, actor=actor)


def reset() -> None:
    """Forget every cached client, setting and adapter (the environment changed)."""
    aws.reset()
    parameters.reset()
    for factory in (store, mailer, detector, timers, addresses, request_approval, approval_api, approval_timer,
                    scrub, policy, dead_letters, takedown_pages, correction_pages, photo_events, desk_identity, desk_signin,
                    desk_uploads, desk_approvals):
        factory.cache_clear()

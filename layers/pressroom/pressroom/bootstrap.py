"""The adapters a process uses, built once from its settings."""
from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pressroom.adapters import aws, parameters
from pressroom.adapters.mail import Mailer, SesMailer
from pressroom.adapters.store import PhotoStore
from pressroom.settings import Settings, get_settings

if TYPE_CHECKING:
    from pressroom.adapters.parameters import FlickrCredentials
    from pressroom.adapters.publisher import Publisher
    from pressroom.adapters.timers import Timers
    from pressroom.domain.photos import Photo
    from pressroom.guidance.detector import Detector
    from pressroom.guidance.meaning import Judge
    from pressroom.stages.comments import CommentsMonitor
    from pressroom.stages.dead_letters import DeadLetters
    from pressroom.stages.policy import Checker
    from pressroom.stages.publish import PublishStage
    from pressroom.stages.scrub import Intake
    from pressroom.stages.staleness import ReminderTimer, StalenessReminder


@lru_cache(maxsize=1)
def store() -> PhotoStore:
    return PhotoStore(aws.client("dynamodb"), get_settings().table_name)


@lru_cache(maxsize=1)
def mailer() -> Mailer:
    return SesMailer(aws.client("ses"), get_settings().sender)


@lru_cache(maxsize=1)
def detector() -> Detector:
    """Amazon Rekognition when deployed; the offline detector for the local stack."""
    from pressroom.adapters.rekognition import RekognitionDetector
    from pressroom.guidance.detector import OfflineDetector

    if get_settings().detector == "offline":
        return OfflineDetector()
    return RekognitionDetector(aws.client("rekognition"))


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


@lru_cache(maxsize=1)
def timers() -> Timers:
    from pressroom.adapters.timers import Timers

    settings = get_settings()
    return Timers(aws.client("scheduler"), settings.scheduler_group, settings.scheduler_role_arn)


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
    from pressroom.stages.comments import CommentsMonitor

    settings = get_settings()
    return CommentsMonitor(store(), publisher(), mailer(), parameters.press_office,
                           control_room=parameters.control_room, window=timedelta(days=settings.comments_window_days),
                           digest_hour=settings.comments_digest_hour)


def publish() -> PublishStage:
    """Not cached: the publisher follows the Flickr secret, which may be filled in after a cold start."""
    from pressroom.stages.publish import PublishStage

    return PublishStage(get_settings(), store(), aws.client("s3"), publisher(), mailer(), reminder_timer(),
                        parameters.press_office)


def retry_failed(photo_id: str, *, actor: str = "cli") -> Photo:
    """``pressroom retry PHOTO_ID``: a PUBLISH_FAILED photo queued to publish again."""
    from pressroom.stages.publish import requeue

    return requeue(store(), aws.client("sqs"), get_settings().publish_queue_url, photo_id, actor=actor)


def reset() -> None:
    """Forget every cached client, setting and adapter (the environment changed)."""
    aws.reset()
    parameters.reset()
    for factory in (store, mailer, detector, timers, scrub, policy, dead_letters):
        factory.cache_clear()

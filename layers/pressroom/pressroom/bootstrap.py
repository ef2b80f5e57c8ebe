"""The adapters a process uses, built once from its settings."""
from __future__ import annotations

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
    from pressroom.guidance.detector import Detector
    from pressroom.stages.dead_letters import DeadLetters
    from pressroom.stages.policy import Checker
    from pressroom.stages.scrub import Intake


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
    from pressroom.guidance.detector import OfflineDetector, RekognitionDetector

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
def intake() -> Intake:
    from pressroom.stages.scrub import Intake

    return Intake(get_settings(), store(), aws.client("s3"), mailer())


@lru_cache(maxsize=1)
def checker() -> Checker:
    from pressroom.stages.policy import Checker

    return Checker(get_settings(), store(), aws.client("s3"), aws.client("sqs"), mailer(), detector())


@lru_cache(maxsize=1)
def dead_letters() -> DeadLetters:
    from pressroom.stages.dead_letters import DeadLetters

    return DeadLetters(get_settings(), store(), aws.client("sqs"), mailer())


def reset() -> None:
    """Forget every cached client, setting and adapter (the environment changed)."""
    aws.reset()
    parameters.reset()
    for factory in (store, mailer, detector, timers, intake, checker, dead_letters):
        factory.cache_clear()

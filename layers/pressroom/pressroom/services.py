"""The adapters a process uses, built once from its settings."""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from pressroom import aws, config
from pressroom.mail import Mailer, SesMailer
from pressroom.settings import get_settings
from pressroom.store import PhotoStore

if TYPE_CHECKING:
    from pressroom.checking import Checker
    from pressroom.dead_letters import DeadLetters
    from pressroom.intake import Intake
    from pressroom.policy.detector import Detector
    from pressroom.publishing.port import Publisher
    from pressroom.schedules import Timers


@lru_cache(maxsize=1)
def store() -> PhotoStore:
    return PhotoStore(aws.client("dynamodb"), get_settings().table_name)


@lru_cache(maxsize=1)
def mailer() -> Mailer:
    return SesMailer(aws.client("ses"), get_settings().sender)


@lru_cache(maxsize=1)
def detector() -> "Detector":
    """In-account image analysis (its own function when deployed, in this process for the local
    stack), Amazon Rekognition if the deployment chose it, or none ("offline")."""
    from pressroom.policy.detector import OfflineDetector, RekognitionDetector
    from pressroom.policy.local_vision import AnalysisFunctionDetector, LocalVisionDetector

    settings = get_settings()
    if settings.detector == "offline":
        return OfflineDetector()
    if settings.detector == "local":
        return LocalVisionDetector()
    if settings.detector == "analysis-function":
        return AnalysisFunctionDetector(aws.client("lambda"), settings.analysis_function)
    if settings.detector == "rekognition":
        return RekognitionDetector(aws.client("rekognition"))
    raise ValueError(f"PRESSROOM_DETECTOR must be analysis-function, local, rekognition or offline: {settings.detector!r}")


def publisher() -> "Publisher":
    """Real Flickr when credentials are configured, otherwise the local album."""
    from pressroom.publishing import make_publisher

    return make_publisher(config.flickr_credentials(), get_settings())


@lru_cache(maxsize=1)
def timers() -> "Timers":
    from pressroom.schedules import Timers

    settings = get_settings()
    return Timers(aws.client("scheduler"), settings.scheduler_group, settings.scheduler_role_arn)


@lru_cache(maxsize=1)
def intake() -> "Intake":
    from pressroom.intake import Intake

    return Intake(get_settings(), store(), aws.client("s3"), mailer())


@lru_cache(maxsize=1)
def checker() -> "Checker":
    from pressroom.checking import Checker

    return Checker(get_settings(), store(), aws.client("s3"), aws.client("sqs"), mailer(), detector())


@lru_cache(maxsize=1)
def dead_letters() -> "DeadLetters":
    from pressroom.dead_letters import DeadLetters

    return DeadLetters(get_settings(), store(), aws.client("sqs"), mailer())


def reset() -> None:
    """Forget every cached client, setting and adapter (the environment changed)."""
    aws.reset()
    config.reset()
    for factory in (store, mailer, detector, timers, intake, checker, dead_letters):
        factory.cache_clear()

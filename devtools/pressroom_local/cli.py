"""The ``pressroom`` command: scrub, check, status, upload, retry and the local stack."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

STACK_FILE = Path(".pressroom/stack.json")


def _use_running_local_stack() -> None:
    """Point this process at ``pressroom local up`` when it runs and nothing else is configured."""
    from pressroom import bootstrap
    from pressroom_local.stack import StackInfo

    if STACK_FILE.exists() and "PRESSROOM_TABLE_NAME" not in os.environ:
        try:
            os.environ.update(StackInfo.load(STACK_FILE).env)
        except (OSError, ValueError, TypeError):
            print(f"pressroom: {STACK_FILE} is damaged: stop the local stack if it runs, then start it again "
                  "with `make up` (or `pressroom local up`)", file=sys.stderr)
            sys.exit(2)
        bootstrap.reset()


def _status(args: argparse.Namespace) -> int:
    from pressroom_local.status import describe_photo, list_photos

    _use_running_local_stack()
    if not args.photo_id:
        print("\n".join(list_photos(limit=args.limit)) or "no photos yet: upload one with pressroom upload")
        return 0
    lines = describe_photo(args.photo_id)
    if not lines:
        print(f"pressroom: there is no photo {args.photo_id} (pressroom status lists them)", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


def _upload(args: argparse.Namespace) -> int:
    from pressroom.settings import get_settings
    from pressroom_local.uploads import UploadError, declaration_problems, size_problem, upload

    _use_running_local_stack()
    declared: dict[str, str] = {}
    for pair in args.declare:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            print(f"pressroom upload: --declare {pair!r} is not KEY=VALUE", file=sys.stderr)
            return 2
        declared[key.strip()] = value.strip()
    for field in ("title", "description", "tags", "uploader"):
        if getattr(args, field):
            declared[field] = getattr(args, field)
    problems = declaration_problems(declared)
    if problems:
        print(f"pressroom upload: {'; '.join(problems)}", file=sys.stderr)
        return 2
    if declared.get("publish-at"):
        from pressroom.domain.schedule import london, publish_at

        try:
            print(f"to be published no earlier than {london(publish_at(declared['publish-at']))}")
        except ValueError as exc:
            print(f"pressroom: {exc}", file=sys.stderr)
            return 2
    failed = False
    for name in args.files:
        try:
            too_large = size_problem(Path(name), get_settings())
            if too_large:
                print(f"{name}: {too_large}", file=sys.stderr)
                failed = True
                continue
            pid = upload(Path(name), args.album, declared)
        except UploadError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:  # this file is not uploaded; the others still are
            print(f"{name}: {_unreadable(name, exc)}", file=sys.stderr)
            failed = True
            continue
        print(f"{name} → photo {pid}")
    return 2 if failed else 0


def _unreadable(name: str, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return f"is a folder: name the photos in it ({Path(name) / '*.jpg'})"
    return f"cannot be read ({exc.strerror or exc})"


def _retry(args: argparse.Namespace) -> int:
    from pressroom.bootstrap import retry_failed

    _use_running_local_stack()
    try:
        retry_failed(args.photo_id)
    except LookupError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"photo {args.photo_id} queued to publish again")
    return 0


def _redrive(args: argparse.Namespace) -> int:
    from pressroom.adapters import aws
    from pressroom_local.redrive import RedriveError, queue_url, redrive

    _use_running_local_stack()
    sqs = aws.client("sqs")
    try:
        source = queue_url(sqs, args.queue, aws.client("cloudformation"), args.stack)
        to = queue_url(sqs, args.to, aws.client("cloudformation"), args.stack) if args.to else None
        done = redrive(sqs, source, to=to, limit=args.limit, lambda_client=aws.client("lambda"))
    except RedriveError as exc:
        print(f"pressroom: {exc}", file=sys.stderr)
        return 2
    print(f"{done.moved} message(s) moved from {args.queue}" + (f" to {done.destination}" if done.moved else ""))
    return 0


def _subject_access(args: argparse.Namespace) -> int:
    import json

    from pressroom import bootstrap
    from pressroom.adapters import aws
    from pressroom.stages.subject_requests import subject_access

    _use_running_local_stack()
    held = subject_access(bootstrap.store(), aws.client("s3"), args.who)
    text = json.dumps(held, indent=2, ensure_ascii=False, default=str)
    if args.output:
        Path(args.output).write_text(text + "\n")
        print(f"{len(held['photos'])} photo record(s), {len(held['audit'])} audit item(s), "
              f"{len(held['comments'])} comment item(s), {len(held['originals'])} original(s) → {args.output}")
    else:
        print(text)
    return 0


def _erase(args: argparse.Namespace) -> int:
    from pressroom import bootstrap
    from pressroom.adapters import aws
    from pressroom.stages.subject_requests import erase

    _use_running_local_stack()
    done = erase(bootstrap.store(), aws.client("s3"), args.who, reason=args.reason, actor=args.by)
    print(f"erasure {done.id}: {done.items} item(s) now say {done.pseudonym}, on {len(done.photos)} photo(s); "
          f"{done.originals_deleted} original(s) deleted")
    if done.originals_kept:
        print("originals kept until scrubbed (they expire with the raw bucket's lifecycle): "
              + ", ".join(done.originals_kept))
    if done.left:
        print(f"pressroom: {done.left} item(s) changed while being erased: run the same command again", file=sys.stderr)
        return 1
    return 0


def _report(args: argparse.Namespace) -> int:
    from pressroom import bootstrap
    from pressroom.domain import clock
    from pressroom.web.report_csv import report_csv
    from pressroom.web.reports import month_asked
    from pressroom_local.report import as_text

    try:
        month = month_asked(args.month, clock.now())
    except ValueError as exc:
        print(f"pressroom report: {exc}", file=sys.stderr)
        return 2
    _use_running_local_stack()
    report = bootstrap.monthly_reports().report(month)
    text = report_csv(report) if args.csv else as_text(report)
    if args.output:
        Path(args.output).write_bytes(text.encode("utf-8"))
        print(f"the report of {month.label} → {args.output}")
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
    return 0


def _cost(args: argparse.Namespace) -> int:
    from pressroom_local.cost import estimate, render

    try:
        lines = estimate(args.photos_per_month, rekognition=args.rekognition, region=args.region)
    except KeyError as exc:
        print(f"pressroom: {exc.args[0]}", file=sys.stderr)
        return 2
    print(render(args.photos_per_month, lines, args.region))
    return 0


def _caller() -> str:
    """Who runs this command, for the audit trail: the AWS identity, else the local user."""
    import getpass

    from botocore.exceptions import BotoCoreError, ClientError

    from pressroom.adapters import aws

    try:
        return str(aws.client("sts").get_caller_identity()["Arn"])
    except (BotoCoreError, ClientError, KeyError):
        return f"cli:{getpass.getuser()}"


def _takedown(args: argparse.Namespace) -> int:
    from pressroom import bootstrap
    from pressroom.domain.photos import State
    from pressroom.stages.takedown import CONSENT_WITHDRAWN, KINDS, request_takedown
    from pressroom.web.audit import when

    _use_running_local_stack()
    kind = CONSENT_WITHDRAWN if args.consent_withdrawn else args.kind
    try:
        photo = request_takedown(bootstrap.store(), args.photo_id, by=args.by or _caller(), why=args.reason,
                                 kind=kind, via="cli")
    except (LookupError, ValueError) as exc:
        print(f"pressroom: {exc}", file=sys.stderr)
        return 2
    asked = photo.takedown
    if photo.state == State.TAKEN_DOWN:
        print(f"photo {photo.id} was already taken down ({asked.get('how', '')}) at "
              f"{when(str(asked.get('done_at', '')))}, asked by {asked.get('by')}: {asked.get('why')}")
        return 0
    doing = "deleted from Flickr" if asked.get("mode") == "delete" else "made private on Flickr"
    print(f"photo {photo.id} is being {doing} and taken out of its album ({KINDS[asked['kind']]}); "
          f"`pressroom status {photo.id}` shows when it is done")
    if args.wait:
        return _wait_taken_down(photo.id, args.wait)
    return 0


def _wait_taken_down(photo_id: str, seconds: float) -> int:
    import time

    from pressroom import bootstrap
    from pressroom.domain.photos import State

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        photo = bootstrap.store().get(photo_id)
        if photo is not None and photo.state == State.TAKEN_DOWN:
            print(f"taken down: {photo.takedown.get('how', '')}")
            return 0
        time.sleep(0.5)
    print(f"pressroom: not taken down within {seconds:.0f} s: Flickr may be failing (it is retried; "
          "the press office is emailed if it keeps failing)", file=sys.stderr)
    return 1


def _update(args: argparse.Namespace) -> int:
    from pressroom import bootstrap
    from pressroom.stages.update import CorrectionRefused, request_correction

    _use_running_local_stack()
    tags = [t for t in args.tags.split(",")] if args.tags is not None else None
    try:
        photo = request_correction(bootstrap.store(), bootstrap.mailer(), args.photo_id, by=args.by or _caller(),
                                   title=args.title, description=args.description, tags=tags)
    except CorrectionRefused as exc:
        print("pressroom: the correction breaks a rule that blocks publishing; nothing was sent for review:",
              file=sys.stderr)
        for f in exc.findings:
            print(f"  [{f['severity']}] {f['rule']}: {f['message']} ({f['evidence']})", file=sys.stderr)
        return 2
    except (LookupError, ValueError) as exc:
        print(f"pressroom: {exc}", file=sys.stderr)
        return 2
    correction = photo.correction
    for f in correction.get("findings", []):
        print(f"  [{f['severity']}] {f['rule']}: {f['message']}")
    print(f"correction {correction['id']} of photo {photo.id} sent to {len(correction['asked'])} approver(s) for "
          "review; Flickr is updated once one approves it")
    return 0


def _flickr_auth(args: argparse.Namespace) -> int:
    from pressroom_local.flickr_auth import run_auth

    running = STACK_FILE.exists() and "PRESSROOM_TABLE_NAME" not in os.environ
    _use_running_local_stack()
    return run_auth(args.api_key, local_stack=running)


def _flickr_check(args: argparse.Namespace) -> int:
    from pressroom_local.flickr_auth import run_check

    _use_running_local_stack()
    return run_check()


def _local_up(args: argparse.Namespace) -> int:
    from pressroom_local.stack import LocalStack, StackError

    stack = LocalStack(Path(args.home), api_port=args.port, announce=lambda line: print(line, flush=True))
    try:
        info = stack.start()
    except StackError as exc:
        print(f"pressroom: {exc}", file=sys.stderr)
        return 2
    print(f"""Pressroom is running locally (Ctrl-C to stop).
  upload endpoint   {info.endpoint}  bucket {info.raw_bucket}, key incoming/<album>/<file>
                    e.g. pressroom upload photo.jpg --album neighbourhood-day --declare category=campaign
  review pages      {info.api}/review/<photo id>?t=<token>  (links arrive by email)
  desk              {info.api}/desk  (sign in with the development sign-in: local only)
  mail (outbox)     {info.outbox}  (each email is also shown below, with its review link)
  published photos  {info.album}/index.html
  status            pressroom status""", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


def _local_demo(args: argparse.Namespace) -> int:
    from pressroom_local.demo import DemoFailed, run
    from pressroom_local.stack import StackError

    try:
        return run(sys.stdout, Path(args.home))
    except DemoFailed as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    except StackError as exc:
        print(f"pressroom: {exc}", file=sys.stderr)
        return 2


def _export_labels(args: argparse.Namespace) -> int:
    from pressroom import bootstrap
    from pressroom_local.labels import UNLABELLED, export_labels, write

    _use_running_local_stack()
    examples = export_labels(bootstrap.store())
    text = write(examples)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    unlabelled = sum(1 for example in examples if example.label == UNLABELLED)
    print(f"pressroom: {len(examples)} decided captions exported"
          + (f"; {unlabelled} rejections need a person to set their label" if unlabelled else ""), file=sys.stderr)
    return 0


def _at_least_one(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    from pressroom_local.check import register as register_check
    from pressroom_local.comment import register as register_comment
    from pressroom_local.scrub import register as register_scrub

    parser = argparse.ArgumentParser(prog="pressroom", description="Pressroom: publish a press office's photos "
                                     "to Flickr safely. Scrub, check, upload, follow and retry photos, or run "
                                     "the whole pipeline locally.")
    commands = parser.add_subparsers(dest="command", required=True)
    register_scrub(commands)
    register_check(commands)
    register_comment(commands)

    status = commands.add_parser("status", help="photos by state, newest first; or one photo's audit trail")
    status.add_argument("photo_id", nargs="?")
    status.add_argument("--limit", type=_at_least_one, default=20, help="photos shown per state")
    status.set_defaults(func=_status)

    upload = commands.add_parser("upload", help="upload photos to the raw bucket, as staff would")
    upload.add_argument("files", nargs="+")
    upload.add_argument("--album", required=True)
    upload.add_argument("--title")
    upload.add_argument("--description")
    upload.add_argument("--tags", help="comma-separated")
    upload.add_argument("--uploader", help="your email address, for the outcome")
    upload.add_argument("--declare", action="append", default=[], metavar="KEY=VALUE",
                        help="a declared fact, e.g. category=campaign, people=none")
    upload.set_defaults(func=_upload)

    retry = commands.add_parser("retry", help="queue a PUBLISH_FAILED photo (or an APPROVED one that never got queued) to publish again")
    retry.add_argument("photo_id")
    retry.set_defaults(func=_retry)

    redrive = commands.add_parser("redrive", help="move a dead-letter queue's messages back once the cause is fixed "
                                  "(docs/runbook.md)")
    redrive.add_argument("queue", help="the dead-letter queue: its name (as the alarm shows it), URL, or logical id "
                         "in template.yaml with --stack")
    redrive.add_argument("--to", help="the queue they go back to, when SQS lists more than one source")
    redrive.add_argument("--limit", type=_at_least_one, help="move at most this many")
    redrive.add_argument("--stack", default=os.environ.get("PRESSROOM_STACK_NAME"),
                         help="stack name, to resolve a logical id (default: $PRESSROOM_STACK_NAME)")
    redrive.set_defaults(func=_redrive)

    access = commands.add_parser("subject-access", help="everything held about an uploader, approver (email "
                                 "address) or commenter (Flickr user id), as JSON (docs/data-protection.md)")
    access.add_argument("who", help="email address or Flickr user id")
    access.add_argument("--output", help="write the JSON here instead of to standard output")
    access.set_defaults(func=_subject_access)
    erasure = commands.add_parser("erase", help="pseudonymise a person in every record and audit item and delete the "
                                  "originals they uploaded (docs/data-protection.md)")
    erasure.add_argument("who", help="email address or Flickr user id")
    erasure.add_argument("--reason", required=True, help="why, e.g. the request's reference (recorded)")
    erasure.add_argument("--by", default=os.environ.get("USER", "pressroom"), help="who is doing it (recorded)")
    erasure.set_defaults(func=_erase)

    report = commands.add_parser("report", help="a month's figures: photos, guidance lines, comments, stale days "
                                 "(docs/reports.md)")
    report.add_argument("--month", help="the month, YYYY-MM in UK time (default: this month, so far)")
    report.add_argument("--csv", action="store_true", help="as CSV (UTF-8, one row per figure) for spreadsheets")
    report.add_argument("--output", help="write it to this file instead of standard output")
    report.set_defaults(func=_report)

    cost = commands.add_parser("cost", help="the monthly cost of running Pressroom by service (infra/prices.toml)")
    cost.add_argument("--photos-per-month", type=_at_least_one, required=True)
    cost.add_argument("--rekognition", action="store_true", help="the policy checks use Amazon Rekognition")
    cost.add_argument("--region", default="eu-west-2")
    cost.set_defaults(func=_cost)

    labels = commands.add_parser(
        "export-labels",
        help="approvers' decisions (rejection reasons, findings overridden) as labelled captions for make train-captions",
    )
    labels.add_argument("--out", help="write the JSON Lines here instead of standard output")
    labels.set_defaults(func=_export_labels)

    from pressroom.stages.takedown import KINDS

    takedown = commands.add_parser("takedown", help="take a published photo down from Flickr (deleted, or made "
                                   "private where so configured), out of its album; the uploader is told")
    takedown.add_argument("photo_id")
    takedown.add_argument("--reason", required=True, help="why: recorded, and sent to the uploader")
    takedown.add_argument("--kind", choices=sorted(KINDS), default="other", help="the kind of reason")
    takedown.add_argument("--consent-withdrawn", action="store_true",
                          help="someone in the photo withdrew their consent (always deletes it)")
    takedown.add_argument("--by", help="who asks (default: your AWS identity)")
    takedown.add_argument("--wait", type=float, nargs="?", const=120.0, default=0.0, metavar="SECONDS",
                          help="wait until it is down (default 120 s)")
    takedown.set_defaults(func=_takedown)

    update = commands.add_parser("update", help="correct a published photo's title, description or tags; an "
                                 "approver reviews the change before Flickr is updated")
    update.add_argument("photo_id")
    update.add_argument("--title")
    update.add_argument("--description")
    update.add_argument("--tags", help="comma-separated: replaces all the tags")
    update.add_argument("--by", help="who asks (default: your AWS identity)")
    update.set_defaults(func=_update)

    flickr = commands.add_parser("flickr", help="connect the press office's Flickr account")
    flickr_commands = flickr.add_subparsers(dest="flickr_command", required=True)
    auth = flickr_commands.add_parser("auth", help="authorise Pressroom on Flickr (OAuth, out of band) and store "
                                      "the credentials in the stack's secret, or locally")
    auth.add_argument("--api-key", help="the app's API key (asked for if not given; its secret always is)")
    auth.set_defaults(func=_flickr_auth)
    check = flickr_commands.add_parser("check", help="which Flickr account Pressroom publishes to, and its quota")
    check.set_defaults(func=_flickr_check)

    local = commands.add_parser("local", help="the whole pipeline on this machine, no AWS account needed")
    local_commands = local.add_subparsers(dest="local_command", required=True)
    up = local_commands.add_parser("up", help="run the local stack until Ctrl-C")
    up.add_argument("--port", type=int, default=8787, help="port of the review pages")
    up.set_defaults(func=_local_up)
    demo = local_commands.add_parser("demo", help="sample photos through every stage; exit 0 when published")
    demo.set_defaults(func=_local_demo)
    for sub in (up, demo):
        sub.add_argument("--home", default=".pressroom", help="where mail and published photos go")
    return parser


def _aws_problem(exc: Exception) -> str:
    """What went wrong talking to the stack, in words for whoever typed the command."""
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError

    endpoint = os.environ.get("PRESSROOM_AWS_ENDPOINT_URL", "")
    if isinstance(exc, EndpointConnectionError) and STACK_FILE.exists() and endpoint:
        return (f"the local stack is not answering at {endpoint} (it stopped without removing {STACK_FILE}): "
                "start it again with `make up` (or `pressroom local up`) in this folder")
    if not STACK_FILE.exists() and not any(name.startswith("PRESSROOM_") for name in os.environ):
        return ("Pressroom is not running here: start the local stack with `make up` (or `pressroom local up`) "
                "in this folder and keep it running, or set PRESSROOM_* for a deployed stack (infra/README.md). "
                + ("No AWS credentials are set." if isinstance(exc, NoCredentialsError) else f"AWS said: {exc}"))
    return f"AWS said: {exc}"


def main(argv: list[str] | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # the reader went away (`pressroom check … | head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (BotoCoreError, ClientError) as exc:
        print(f"pressroom: {_aws_problem(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

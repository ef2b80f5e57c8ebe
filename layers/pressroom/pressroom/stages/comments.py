"""The comments monitor: new comments on published photos are answered, removed or queued.

The guidance: "Whenever we post photographs the site should be monitored for any comments
posted. These should either be answered, deleted if they are inappropriate, or followed up if
offensive (as per offensive comment reporting process)", and "We cannot accept reports of crime
through our social media sites. If somebody tries to report a crime, refer them to the
0345 113 5000 number".

Each comment is handled once: its id is claimed in the table (``PK=COMMENT#<id>, SK=SEEN``) by a
conditional write before anything is done, and the claim is handed back if handling fails, so the
next run tries again; a claim left "handling" by a run that died (timeout, crash) is taken over
once it is :data:`CLAIM_LEASE` old. The press office is emailed before any public action (a reply,
a deletion), so a failure part-way never loses the email; the email and the reply are noted on
the claim once done (``step_emailed``, ``step_replied``), so a retry or takeover repeats neither,
and a deletion is safe to repeat.

Watched are the photos published within the window and, at most once an hour (Flickr's limit on
its activity feed), older photos that the site's activity feed names as commented on within the
window; the cost follows the recent activity, not the size of the account. Only comments posted
within the window are handled (one with no time counts as posted when its photo was published):
the site lists every comment of a photo, and a seen marker outlives the window, so a comment on a
photo of any age is handled once, never again when its marker has expired.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from pressroom import bootstrap
from pressroom.adapters import aws, parameters
from pressroom.adapters.mail import Email, Mailer
from pressroom.adapters.publisher import Comment, Publisher, PublisherUnavailable
from pressroom.adapters.store import PhotoStore, condition_failed
from pressroom.domain import clock
from pressroom.domain.photos import Photo, State
from pressroom.guidance.rules import load_rulebook
from pressroom.guidance.text import normalise, scan
from pressroom.settings import get_settings
from pressroom.stages.staleness import parse_time

ACTOR = "comments"
#: photos published this long ago or less are watched, and comments posted this long ago or less handled
WINDOW = timedelta(days=30)
#: a seen-comment marker outlives the window its comment is handled in by this, then DynamoDB's TTL removes it
SEEN_MARGIN = timedelta(days=30)
#: the site's activity feed (older photos with new comments) is read at most this often
FEED_EVERY = timedelta(hours=1)
_FEED_KEY = {"PK": {"S": "ACCOUNT"}, "SK": {"S": "COMMENTS-FEED"}}  # read_at: when the feed was last read
#: a claim still "handling" after this long was abandoned (the comments Lambda times out at 120 s)
CLAIM_LEASE = timedelta(minutes=15)
_STEP = "step_"  # the claim's attributes noting the steps done: step_emailed, step_replied

CRIME_REPLY = (
    "Thank you for getting in touch. We cannot accept reports of crime through our social media sites. "
    "To report a crime please call 0345 113 5000, or visit www.west-midlands.police.uk to find out how "
    "to report it online. In an emergency always call 999."
)


class Kind(StrEnum):
    CRIME_REPORT = "crime-report"
    PERSONAL_DETAILS = "personal-details"
    REMOVAL_REQUEST = "removal-request"
    OFFENSIVE = "offensive"
    QUESTION = "question"
    OTHER = "other"


#: Abuse that is removed and followed up. Kept short and plain on purpose: it catches common
#: profanity and abuse aimed at officers, and the press office reviews every removal by email.
OFFENSIVE_TERMS: tuple[str, ...] = (
    r"fuck\w*", r"f+u*c+k+\w*", r"f+u+k+\w*", r"shit\w*", r"bullshit", r"cunts?", r"wank\w*", r"twats?",
    r"bastards?", r"bollocks", r"dickheads?", r"arseholes?", r"assholes?", r"bitch\w*", r"piss off",
    r"scum", r"scumbags?", r"retards?", r"acab", r"all coppers are bastards",
    r"(filthy|dirty|bent|corrupt|scum) (pigs?|coppers?|cops?|filth)", r"kill yourself", r"kys",
    r"(i'?ll|i will|gonna|going to) (kill|stab|shoot|hurt) (you|u|him|her|them)(?! an? )",
    # threats and abuse aimed at officers: "I'll find you and kill you", "kill all coppers", "die pig"
    r"(kill|stab|murder|bomb|shoot)( all)?( the)? (you|u|ya|coppers|cops|police|pigs|officers|feds|filth)"
    r"(?! an? )", r"(hope|wish) (you|u) (all )?(die|rot|get cancer|burn)", r"die,? pigs?",
    r"(you|u|ya) (\w+ )?pigs?", r"oink oink",
    # racist, homophobic and other hate abuse (a hate incident: always followed up)
    r"n+i+g+(er|a|ah|az)s?", r"pakis?", r"wogs?", r"coons?", r"kikes?", r"pikeys?", r"gypp?os?", r"trann(y|ies)",
    r"nonces?",
)
#: Swear words as people mask them with symbols ("f**k", "sh!t", "c*nt").
MASKED_WORDS = ("fuck", "fucking", "fucked", "fucker", "fuckers", "shit", "shite", "cunt", "cunts", "twat", "twats",
                "wanker", "wankers", "bastard", "bastards", "bitch", "prick", "pricks", "dickhead", "arsehole",
                "asshole", "bollocks")

# Crime reports, as people write them: "someone just broke into my car", "my car's been nicked",
# "I was sexually assaulted", "just been mugged", "there's a man with a knife outside", "I know who
# did it", "can I report a theft here".
_HARMED = (r"stolen|nicked|pinched|snatched|broken into|burgled|burglari[sz]ed|robbed|mugged|attacked|assaulted|"
           r"raped|abused|threatened|harassed|stalked|followed home|bullied|scammed|defrauded|conned|hacked|"
           r"stabbed|punched|kicked|beaten(?: up)?|battered|glassed|spat at|vandali[sz]ed|smashed|keyed|damaged|"
           r"torched|set on fire|spray[- ]?painted")
_HOW = (r"just|also|again|now|recently|literally|actually|finally|already|sexually|physically|verbally|racially|"
        r"badly|brutally|violently|repeatedly|constantly")
_DOING = (r"br(?:oke|oken|eak|eaks|eaking)\s+in(?:to)?|st(?:ole|olen|eal|eals|ealing)|nick(?:ed|s|ing)?|"
          r"pinch(?:ed|ing)|snatch(?:ed|ing)|robb?(?:ed|ing|s)?|mugg?(?:ed|ing|s)?|attack(?:ed|ing|s)?|"
          r"assault(?:ed|ing|s)?|punch(?:ed|ing)|stabb?(?:ed|ing|s)?|threaten(?:ed|ing|s)?|harass(?:ed|ing|es)?|"
          r"stalk(?:ed|ing|s)?|smash(?:ed|ing|es)?(?!\s+it\b)|vandali[sz](?:ed|ing|es)|key(?:ed|ing)|torch(?:ed|ing)|"
          r"set(?:ting)? fire|spray(?:ed|ing) graffiti|dealing(?!\s+with\b)|selling drugs|growing (?:cannabis|weed|drugs)|"
          r"thr(?:ew|ow|owing|ows) (?:stones|bricks|eggs)|scamm(?:ed|ing)|hack(?:ed|ing)")
_CRIME_WORDS = (r"stolen|theft|crime|burglary|robbery|assault|attack|break-?in|broken into|drugs|dealing|vandalism|"
                r"scam|fraud|mugged|burgled|robbed|knife|fight")
_SOMEONE = r"some(?:one|body)|some (?:lads|kids|men|guys|youths|people|bloke|idiot)"
_PEOPLE = (r"(?:a|the|this|that) (?:man|woman|lad|guy|bloke|gang|boy|girl|youth|kid|driver)|"
           r"(?:two|three|four|five|several|a couple of|a group of|a gang of|loads of) \w+|"
           r"kids|youths|lads|thieves|burglars|men|they|he|she|"
           r"my (?:neighbou?rs?|ex|husband|wife|partner|boyfriend|girlfriend|landlord|step-?dad|step-?mum|"
           r"dad|mum|brother|sister|son|daughter)")
_AUX = r"(?:'s|'ve|'re|'m|\s+(?:has|have|had|is|are|was|were|keeps?|been|just|also|again|literally|repeatedly))*"

CRIME_REPORT_PATTERNS: tuple[str, ...] = (
    # asking to report: "I want to report", "I wanna report", "can I report a theft here"
    r"\b(?:i|we)(?:'d|'m|'re|\s+would|\s+am|\s+are)?\s+(?:want(?:ed)?|wanna|wish|need|like|trying|have to|"
    r"got to|gotta)\s+(?:to\s+)?report\b",
    r"\b(?:can|could|may|do|should)\s+(?:i|we|you|u)\s+report\b(?!\s+on\s+(?:the|how|this|what|it)\b)",
    r"\b(?:how|where)\s+(?:do|can|should|would|could)\s+(?:i|we|you)\s+report\b",
    r"\b(?:who|how|where)\s+(?:do|can|should|would|could)\s+(?:i|we|you)\s+(?:contact|call|ring|tell|speak to|"
    r"talk to)\b[^?\n]{0,40}\b(?:" + _CRIME_WORDS + r")",
    r"\b(?:i'm|i am|we're|we are)\s+reporting\b|(?:^|[.!?]\s*)reporting (?:a|an)\b",
    # something was done to me or mine: "my car's just been broken into", "I was sexually assaulted"
    r"\b(?:i|we|(?:my|our)(?!\s+hearts?\b)(?:\s+[\w'-]+){1,3}?)" + _AUX
    + r"(?:'s|'re|'m|\s+(?:was|were|is|are|am|got|get|gets|getting|been|being))(?:\s+(?:" + _HOW + r"))*\s+(?:"
    + _HARMED + r")\b",
    # the same without a subject: "just been mugged", "Been burgled again"
    r"(?:^|[.!?]\s*)(?:just\s+)?been\s+(?:(?:" + _HOW + r")\s+)*(?:" + _HARMED + r")\b",
    # a thing reported stolen: "Car stolen from Acacia Avenue last night"
    r"(?:^|[.!?]\s*)(?:my\s+|our\s+)?(?:\w+\s+)?(?:car|van|bike|motorbike|moped|bicycle|scooter|phone|bag|"
    r"purse|wallet|parcels?|catalytic converter|tools|shed|garage|house)\s+(?:stolen|nicked|broken into|burgled)\b",
    # someone did it: "someone just broke into my car", "some lads just smashed my window"
    r"\b(?:" + _SOMEONE + r")" + _AUX + r"\s+(?:" + _DOING + r")\b(?!\s+the\s+show)",
    # others did it, just now, ongoing, or to me or mine: "two lads just nicked a bike",
    # "kids are throwing stones at cars", "my neighbour is growing cannabis"
    r"\b(?:" + _PEOPLE + r")(?:'s|'ve|'re|\s+(?:has|have|is|are))?\s+just\s+(?:" + _DOING + r")\b",
    r"\b(?:" + _PEOPLE + r")(?:'s|'re|\s+(?:is|are))\s+(?:always\s+|constantly\s+|still\s+)?(?:"
    + _DOING + r")\b",
    r"\b(?:" + _PEOPLE + r")" + _AUX + r"\s+(?:" + _DOING + r")\b[^.!?\n]{0,40}\b(?:my|our|me|us|mine)\b",
    # it is happening now: "there's a man with a knife", "a car being broken into right now"
    r"\bthere(?:'s|\s+is|\s+are)\s+(?:a|an|some|two|three|loads of|lots of|people|kids|lads|men|youths|"
    r"someone|somebody)\b[^.!?\n]{0,50}?\b(?:knife|knives|gun|machete|weapon|fight(?:ing)?|burglary|robbery|"
    r"break-?in|being (?:broken into|attacked|robbed|stolen|smashed|mugged)|(?:" + _DOING + r"))\b",
    r"\b(?:right now|as we speak)\b[^\n]*\b(?:" + _CRIME_WORDS + r"|stealing|smashing|breaking)\b|"
    r"\b(?:" + _CRIME_WORDS + r"|stealing|smashing|breaking)\b[^\n]*\b(?:right now|as we speak)\b",
    # knowing or having seen who did it: "I know who stole the bikes", "I have CCTV of them"
    r"\b(?:i|we)(?:'ve|\s+have)?\s+(?:know|saw|seen|witnessed)\s+(?:who|the (?:man|men|person|people|lad|lads|"
    r"guy|car|van) (?:who|that))\b",
    r"\b(?:i|we)(?:'ve|\s+have)?\s+(?:got\s+)?(?:cctv|dash\s?cam|doorbell (?:cam(?:era)?|footage)|evidence|"
    r"information|info)\b[^.!?\n]{0,30}\b(?:of|on|from|showing|about)\s+(?:the|him|her|them|who|this|it)\b",
    r"\b(?:drug dealing|dealing drugs|selling drugs|drug dealers?)(?:\s+going on)?\s+(?:on|in|at|outside|from|"
    r"near|round|around|next door)\b",
    r"\bhit and run\s+(?:on|in|at|outside|near)\b",
)

#: Someone asking for a photo to come down, usually because they or their child are in it.
REMOVAL_PATTERNS: tuple[str, ...] = (
    r"\b(?:take|get|took)\s+(?:it|this|that|them|me|us|him|her|(?:the|this|that|my|our)\s+(?:\w+\s+)?"
    r"(?:photo|picture|pic|image|one|son|daughter|child|kid|kids|children))\s+(?:down|off\s+(?:flickr|here|"
    r"the internet|your (?:page|site|account)|line))\b",
    r"\b(?:remove|delete)\s+(?:it|this|that|me|us|him|her|them|(?:the|this|that|my|our)\s+(?:\w+\s+)?"
    r"(?:photo|picture|pic|image|one|son|daughter|child|kid|kids|children|face))\b",
    r"\b(?:didn't|did not|never|haven't|have not|hasn't|has not|not)\s+(?:give|gave|given)\s+(?:\w+\s+)?"
    r"(?:permission|consent)\b",
    r"\b(?:didn't|did not|never|haven't|have not|hasn't|has not)\s+(?:sign|signed)\s+(?:a|any|the|anything)\b",
    r"\b(?:didn't|did not|never|haven't|have not|hasn't|has not)\s+(?:agree|agreed|consent|consented)\s+to\s+"
    r"(?:this|it|that|be|being|my|our|the photo|having)\b",
    r"\b(?:didn't|did not|never|nobody|no one|no-one)\s+ask(?:ed)?\s+(?:me|us|my|our|permission|for permission)\b",
    r"\bwithout\s+(?:(?:my|our|his|her|their|any|parental)\s+)?(?:permission|consent)\b|"
    r"\bwithout\s+asking\s+(?:me|us|my|our|permission)\b",
    r"\b(?:don't|do not)\s+want\s+(?:my|our|me|us|him|her|them)\b[^.!?\n]{0,40}\b(?:online|internet|on here|"
    r"posted|on flickr|on facebook|shown|up)\b",
)

_QUESTION_WORDS = ("who", "what", "when", "where", "why", "how", "which", "can", "could", "would", "will",
                   "is", "are", "do", "does", "did", "should", "may", "any", "anyone", "anybody", "who's", "what's",
                   "when's", "where's", "how's", "whats", "wheres", "hows", "whos")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s", "5": "s", "*": "u"})
_OFFENSIVE = re.compile(r"(?<![a-z])(" + "|".join(OFFENSIVE_TERMS) + r")(?![a-z])")
_MASKED = re.compile(r"(?<![a-z*#!%])[a-z][a-z*#!%]*[*#!%][a-z*#!%]*")
_SPELLED_OUT = re.compile(r"(?<![a-z])[a-z](?:[ .][a-z]){2,}(?![a-z])")  # "f u c k", "a.c.a.b"
_CRIME = [re.compile(p) for p in CRIME_REPORT_PATTERNS]
_REMOVAL = [re.compile(p) for p in REMOVAL_PATTERNS]
_TAG = re.compile(r"<[^<>]*>")  # Flickr comments may carry HTML (links, line breaks)
#: the policy's rule whose findings make a comment inappropriate to leave on the force's page
_PRIVATE_RULE = "dont-personal-details"


@dataclass(frozen=True)
class Classification:
    """What a comment is, and the words that made it so (for the press office and the audit)."""

    kind: Kind
    signals: tuple[str, ...] = field(default_factory=tuple)
    #: the kinds of personal details it holds ("UK phone number"), never the details themselves
    private: tuple[str, ...] = field(default_factory=tuple)


def classify(text: str) -> Classification:
    """Offensive (removed) before crime report (referred to 0345 113 5000; removed too if it holds
    personal details) before other personal details (removed) before a request to take the photo
    down, before question (both queued for the press office); anything else is only recorded."""
    shown = normalise(html.unescape(_TAG.sub(" ", text)))
    plain = " ".join(shown.lower().split())
    offensive = sorted(_offensive(plain))
    crime = [m.group(0) for p in _CRIME if (m := p.search(plain))]
    private = personal_details(shown)
    if offensive:
        return Classification(Kind.OFFENSIVE, tuple(offensive) + tuple(crime), private)
    if crime:
        return Classification(Kind.CRIME_REPORT, tuple(crime) + private, private)
    if private:
        return Classification(Kind.PERSONAL_DETAILS, private, private)
    removal = [m.group(0) for p in _REMOVAL if (m := p.search(plain))]
    if removal:
        return Classification(Kind.REMOVAL_REQUEST, tuple(removal))
    if "?" in plain:
        return Classification(Kind.QUESTION, ("?",))
    words = plain.split()
    first = words[0].strip(",.!") if words else ""
    if first in _QUESTION_WORDS and len(words) > 2:
        return Classification(Kind.QUESTION, (first,))
    return Classification(Kind.OTHER)


def personal_details(text: str) -> tuple[str, ...]:
    """The kinds of personal details in ``text`` that the policy blocks in a caption (phone numbers,
    email addresses, number plates...), by name; never the details themselves."""
    hits = scan({"description": text}, (), load_rulebook())
    return tuple(sorted({hit.label for hit in hits if hit.rule.id == _PRIVATE_RULE}))


def _offensive(plain: str) -> set[str]:
    """The offensive words in ``plain``, also when spelled out ("f u c k") or masked ("sh!t")."""
    spelled = _SPELLED_OUT.sub(lambda m: m.group().replace(" ", "").replace(".", ""), plain)
    found = {m.group(0) for text in (plain, spelled) for m in _OFFENSIVE.finditer(text.translate(_LEET))}
    for masked in _MASKED.findall(plain):
        shape = re.compile("".join(f"[a-z]{{1,{len(run)}}}" if run[0] in "*#!%" else run
                                   for run in re.findall(r"[*#!%]+|[a-z]+", masked)))
        found.update(word for word in MASKED_WORDS if shape.fullmatch(word))
    return found


class CommentsIncomplete(Exception):
    """Some comments could not be handled or read; they are tried again on a later run."""


@dataclass(frozen=True)
class CommentsMonitor:
    store: PhotoStore
    publisher: Publisher
    mailer: Mailer
    press_office: Callable[[], list[str]]
    dynamodb: Any
    table: str
    window: timedelta = WINDOW
    now: Callable[[], datetime] = clock.now

    def run(self) -> dict[str, int]:
        """Handle every new comment on the watched photos; counts by outcome."""
        counts = {k.value: 0 for k in Kind} | {"seen": 0, "failed": 0, "photos": 0}
        since = self.now() - self.window
        watched, unread = self._watched(since)
        counts["photos"] = len(watched)
        failures: list[str] = []
        for comment in self.publisher.comments(list(watched)) if watched else []:
            photo = watched.get(comment.photo_id)
            if photo is not None and not _posted_since(comment, photo, since):
                continue  # older than the window, so than any seen marker: it was handled when it was new
            done = self._claim(comment, photo) if photo is not None else None
            if photo is None or done is None:
                counts["seen"] += 1
                continue
            try:
                kind = self._handle(comment, photo, done)
            except Exception as exc:  # noqa: BLE001 - hand the claim back; the rest still get handled
                self._finish(comment, "retry")
                failures.append(f"{comment.id}: {type(exc).__name__}: {exc}")
                counts["failed"] += 1
                continue
            self._finish(comment, kind.value)
            counts[kind.value] += 1
        problems = [f"{len(failures)} comment(s) not handled: " + "; ".join(failures)] if failures else []
        if unread:
            problems.append(f"older photos not checked for comments: {unread}")
        if problems:
            raise CommentsIncomplete("; ".join(problems))
        return counts

    def _watched(self, since: datetime) -> tuple[dict[str, Photo], str]:
        """Published photos by their id on the site: those published within the window, and older ones
        the activity feed names (when it is due); and why the feed could not be read, if it could not."""
        watched: dict[str, Photo] = {}
        named: set[str] | None = None  # the feed's photos not met yet; the feed is read at the first older photo
        unread = ""
        for photo in self.store.each_in_state(State.PUBLISHED):
            site_id = str(photo.flickr.get("id") or "")
            published_at = _published_at(photo)
            if site_id and published_at is not None and published_at >= since:
                watched[site_id] = photo
                continue
            if named is None:
                named, unread = self._commented_since(since)
                named -= watched.keys()
            if site_id in named:
                watched[site_id] = photo
                named.discard(site_id)
            changed = parse_time(photo.updated_at)
            if not named and changed is not None and changed < since:
                break  # the rest changed earlier still: all published before the window, and none named
        return watched, unread

    def _commented_since(self, since: datetime) -> tuple[set[str], str]:
        """The photos the site's activity feed names as commented on since ``since``, if the feed is
        due to be read (else none), and why it could not be read (its turn is handed back)."""
        now = self.now()
        try:
            self.dynamodb.update_item(
                TableName=self.table, Key=_FEED_KEY, UpdateExpression="SET read_at = :now",
                ConditionExpression="attribute_not_exists(read_at) OR read_at <= :due",
                ExpressionAttributeValues={":now": {"S": clock.iso(now)}, ":due": {"S": clock.iso(now - FEED_EVERY)}})
        except ClientError as exc:
            if condition_failed(exc):
                return set(), ""
            raise
        try:
            return set(self.publisher.commented_since(since)), ""
        except PublisherUnavailable as exc:
            self.dynamodb.update_item(TableName=self.table, Key=_FEED_KEY, UpdateExpression="REMOVE read_at")
            return set(), str(exc)

    def _handle(self, comment: Comment, photo: Photo, done: dict[str, str]) -> Kind:
        """Act on ``comment``, skipping the steps in ``done`` (an earlier, unfinished handling's)."""
        verdict = classify(comment.text)
        detail: dict[str, Any] = {"comment_id": comment.id, "author": comment.author,
                                  "author_name": comment.author_name, "kind": verdict.kind.value,
                                  "signals": list(verdict.signals)}
        if verdict.kind == Kind.OFFENSIVE:
            self._tell_press_office(comment, photo, verdict, done, "An offensive comment was removed", [
                "It has been deleted from Flickr. Please follow it up as per offensive comment reporting "
                "process (keep this email: it is the only copy of the comment)."])
            self.publisher.delete_comment(comment.id)  # already gone is fine
            event = "comment-deleted-offensive"
        elif verdict.kind == Kind.CRIME_REPORT:
            self._tell_press_office(comment, photo, verdict, done, "A comment looks like a crime report", [
                "We cannot accept reports of crime through social media. This reply was posted:",
                f"  \"{CRIME_REPLY}\"",
                "Check whether anyone is at risk and whether it needs passing to the force's contact centre.",
                *([f"It held a {' and a '.join(verdict.private)}, so it was also deleted from Flickr (keep this "
                   "email: it is the only copy of the comment)."] if verdict.private else [])])
            reply_id = done.get("replied")
            if reply_id is None:
                reply_id = self.publisher.reply(comment.photo_id, CRIME_REPLY)
                self._step(comment, "replied", reply_id)
            detail["reply_id"] = reply_id
            if verdict.private:
                self.publisher.delete_comment(comment.id)
                detail["deleted"] = True
            event = "comment-crime-report-replied"
        elif verdict.kind == Kind.PERSONAL_DETAILS:
            self._tell_press_office(comment, photo, verdict, done, "A comment with personal details was removed", [
                f"It held a {' and a '.join(verdict.private)}. Personal details must not stay on the force's page, "
                "so it has been deleted from Flickr (keep this email: it is the only copy of the comment).",
                "If it asked something or reported something, answer the person another way."])
            self.publisher.delete_comment(comment.id)  # already gone is fine
            event = "comment-deleted-personal-details"
        elif verdict.kind == Kind.REMOVAL_REQUEST:
            self._tell_press_office(comment, photo, verdict, done, "Someone asks for a photo to be taken down", [
                "Check that everyone who can be identified signed a release form, and that parental permission "
                "covers every child. If in doubt, take the photo down, then reply to them on Flickr."])
            event = "comment-removal-request-queued"
        elif verdict.kind == Kind.QUESTION:
            self._tell_press_office(comment, photo, verdict, done, "A question needs an answer", [
                "Please answer it on Flickr: the guidance asks us to respond to questions we are asked."])
            event = "comment-question-queued"
        else:
            event = "comment-recorded"
        self.store.record(photo.id, actor=ACTOR, event=event, detail=detail)
        return verdict.kind

    def _tell_press_office(self, comment: Comment, photo: Photo, verdict: Classification, done: dict[str, str],
                           headline: str, action: list[str]) -> None:
        if "emailed" in done:
            return
        title = photo.title or photo.id
        lines = [
            f"{headline} on the Flickr photo \"{title}\" (album {photo.album}):",
            f"  {photo.flickr.get('url', '')}",
            "",
            f"From:    {comment.author_name} ({comment.author})",
            f"Posted:  {comment.created_at or 'unknown'}",
            f"Link:    {comment.permalink or 'none'}",
            "Comment:",
            *[f"  {line}" for line in comment.text.splitlines() or [""]],
            "",
            *action,
            "",
            f"Flagged by: {', '.join(verdict.signals) or 'its wording'}. Photo reference: {photo.id}",
        ]
        self.mailer.send(Email(to=self.press_office(), subject=f"Pressroom: {headline.lower()} on \"{title}\"",
                               text="\n".join(lines)))
        self._step(comment, "emailed", clock.iso(self.now()))

    # -- seen markers ----------------------------------------------------------------------------
    def _claim(self, comment: Comment, photo: Photo) -> dict[str, str] | None:
        """Mark ``comment`` as being handled and return the steps an earlier handling did; None if
        it was seen before (and neither handed back nor abandoned)."""
        now = self.now()
        try:
            old = self.dynamodb.update_item(
                TableName=self.table, Key=self._key(comment),
                UpdateExpression="SET photo_id = :p, site_photo_id = :s, seen_at = :now, outcome = :handling, "
                                 "expires_at = :exp",
                ConditionExpression="attribute_not_exists(PK) OR outcome = :retry "
                                    "OR (outcome = :handling AND seen_at < :stale)",
                ExpressionAttributeValues={
                    ":p": {"S": photo.id}, ":s": {"S": comment.photo_id}, ":now": {"S": clock.iso(now)},
                    ":handling": {"S": "handling"}, ":retry": {"S": "retry"},
                    ":stale": {"S": clock.iso(now - CLAIM_LEASE)},
                    ":exp": {"N": str(int((now + self.window + SEEN_MARGIN).timestamp()))},
                },
                ReturnValues="ALL_OLD",
            )
        except ClientError as exc:
            if condition_failed(exc):
                return None
            raise
        old_item = old.get("Attributes", {})
        return {k.removeprefix(_STEP): v["S"] for k, v in old_item.items() if k.startswith(_STEP)}

    def _step(self, comment: Comment, name: str, value: str) -> None:
        """Note on the claim that step ``name`` is done (``value``: when, or what it made)."""
        self.dynamodb.update_item(TableName=self.table, Key=self._key(comment), UpdateExpression="SET #n = :v",
                                  ExpressionAttributeNames={"#n": _STEP + name},
                                  ExpressionAttributeValues={":v": {"S": value}})

    def _finish(self, comment: Comment, outcome: str) -> None:
        self.dynamodb.update_item(TableName=self.table, Key=self._key(comment),
                                  UpdateExpression="SET outcome = :o", ExpressionAttributeValues={":o": {"S": outcome}})

    @staticmethod
    def _key(comment: Comment) -> dict[str, Any]:
        return {"PK": {"S": f"COMMENT#{comment.id}"}, "SK": {"S": "SEEN"}}


def _published_at(photo: Photo) -> datetime | None:
    return parse_time(photo.flickr.get("published_at")) or parse_time(photo.updated_at)


def _posted_since(comment: Comment, photo: Photo, since: datetime) -> bool:
    """Whether ``comment`` was posted at ``since`` or later (one with no time, after its photo was published)."""
    posted = parse_time(comment.created_at) or _published_at(photo)
    return posted is not None and posted >= since


def monitor() -> CommentsMonitor:
    """The monitor of this process's deployment."""
    settings = get_settings()
    return CommentsMonitor(bootstrap.store(), bootstrap.publisher(), bootstrap.mailer(), parameters.press_office,
                           aws.client("dynamodb"), settings.table_name,
                           window=timedelta(days=settings.comments_window_days))

"""What is exact in a comment, found by rules: abuse and slurs (spelled out, in leetspeak or masked
with symbols of any length), personal details (phone numbers through ``phonenumbers``, email
addresses, number plates, postcodes), whether it names or places somebody, and the word patterns
the comment monitor used before the judge of meaning (kept as signals, and as the "rules alone"
reader the benchmark compares against).

Meaning (is this a threat, a disclosure of harm, a crime report?) is the judge's; these rules only
say what words are there.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import phonenumbers

from .rules import load_rulebook
from .text import normalise, scan


class Kind(StrEnum):
    """What a comment is, most urgent first (the order ties are broken in)."""

    THREAT = "threat"
    DISCLOSURE = "disclosure"
    CRIME_REPORT = "crime-report"
    OFFENSIVE = "offensive"
    PERSONAL_DETAILS = "personal-details"
    REMOVAL_REQUEST = "removal-request"
    QUESTION = "question"
    OTHER = "other"


#: Threats of violence as people write them to the police: "I'll kill you", "kill all coppers",
#: "burn the station down". Meaning finds the rest; these words are certain enough on their own.
THREAT_TERMS: tuple[str, ...] = (
    r"(?:i'?ll|i will|i'?m gonna|i am going to|gonna|going to|we'?ll|we will|we'?re gonna)"
    r" (?:\w+ )?(?:kill|stab|shoot|hurt|batter|torch|bomb|petrol bomb|burn|smash|do) (?:you|u|him|her|them|every|the)"
    r"(?! an? )",
    r"(?:kill|stab|murder|bomb|shoot|burn)( all)?( the)? (?:coppers|cops|police|pigs|officers|feds|filth|station|mosque|"
    r"church|gurdwara|synagogue|temple)(?! an? )",
    r"(?:burn|torch|petrol bomb|bomb|blow up)\w* (?:\w+ ){0,3}(?:down|station|mosque|church|gurdwara|synagogue|temple|"
    r"school|nick|cop shop)",
    r"watch (?:your|ur|his|her) back", r"your days are numbered", r"(?:is|are|he'?s|she'?s) getting (?:stabbed|shanked|"
    r"cut|shot|wet|bodied|rushed|battered|done in)",
)

#: Abuse that is removed and followed up. Kept short and plain on purpose: it catches common
#: profanity and abuse aimed at officers, and the press office reviews every removal by email.
OFFENSIVE_TERMS: tuple[str, ...] = (
    r"fuck\w*", r"fc?kn", r"fc?kin[g']?", r"f+u*c+k+\w*", r"f+u+k+\w*", r"fvck\w*", r"shit\w*", r"bullshit", r"cunts?", r"wank\w*", r"twats?",
    r"bastards?", r"bollocks", r"dickheads?", r"arseholes?", r"assholes?", r"bitch\w*", r"piss off",
    r"scum", r"scumbags?", r"retards?", r"acab", r"1312", r"all coppers are bastards",
    r"(filthy|dirty|bent|corrupt|scum) (pigs?|coppers?|cops?|filth)", r"kill yourself", r"kys",
    r"(hope|wish) (you|u) (all )?(die|rot|get cancer|burn)", r"die,? pigs?",
    r"(you|u|ya) (\w+ )?pigs?", r"oink oink", r"bellends?", r"gobshites?", r"pillocks?", r"wazzocks?",
    # racist, homophobic and other hate abuse (a hate incident: always followed up)
    r"n+i+g+(er|a|ah|az)s?", r"pakis?", r"wogs?", r"coons?", r"kikes?", r"pikeys?", r"gypp?os?", r"trann(y|ies)",
    r"nonces?",
)
#: The words people mask with symbols ("f**k", "sh!t", "c*nt", "n*nce", "b*****ds"): a run of symbols
#: stands for any number of letters.
MASKED_WORDS = (
    "fuck", "fucking", "fucked", "fucker", "fuckers", "fuckin", "shit", "shite", "shites", "cunt", "cunts", "twat",
    "twats", "wanker", "wankers", "bastard", "bastards", "bitch", "bitches", "prick", "pricks", "dickhead", "dickheads",
    "arsehole", "arseholes", "asshole", "assholes", "bollocks", "scum", "scumbag", "scumbags", "piss", "slag", "tits",
    "muppets", "nonce", "nonces", "paki", "pakis", "pikey", "pikeys", "gyppo", "gyppos", "tranny", "trannies",
    "retard", "retards", "nigger", "niggers", "wog", "wogs", "coon", "coons",
)

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
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s", "5": "s"})
_MASK = "*#!%_"
_THREAT = re.compile(r"(?<![a-z])(" + "|".join(THREAT_TERMS) + r")(?![a-z])")
_OFFENSIVE = re.compile(r"(?<![a-z])(" + "|".join(OFFENSIVE_TERMS) + r")(?![a-z])")
#: a word with letters and at least one run of mask symbols ("f**k", "b*****ds", "sh!t", "***hole")
_MASKED = re.compile(r"(?<![\w*#!%@$])[\w*#!%@$]*[*#!%][\w*#!%@$]*")
#: letters written apart: "f u c k", "a.c.a.b", "F-U-C-K"
_SPELLED_OUT = re.compile(r"(?<![a-z])[a-z](?:(?:\s+|[.-])[a-z]){2,}(?![a-z])")
_CRIME = [re.compile(p) for p in CRIME_REPORT_PATTERNS]
#: the first patterns are someone asking to report a crime here ("I want to report", "can I report")
_ASKING_TO_REPORT = _CRIME[:5]
#: laughter and winks: a "report" in a joke ("the dog ate my sandwich, I want to report a theft 😂")
_JOKING = re.compile(r"(?<![a-z])(?:lol|lmao|haha\w*|jk|joking)(?![a-z])|[\U0001F602\U0001F923\U0001F609\U0001F61C\U0001F639]")
_REMOVAL = [re.compile(p) for p in REMOVAL_PATTERNS]
_TAG = re.compile(r"<[^<>]*>")  # Flickr comments may carry HTML (links, line breaks)
#: the policy's rule whose findings make a comment inappropriate to leave on the force's page
_PRIVATE_RULE = "dont-personal-details"
#: public numbers anyone may post: the force's, Crimestoppers, 101, 999
_PUBLIC_NUMBERS = {"3451135000", "800555111", "3001231212", "101", "999", "111"}

# -- naming or placing somebody ---------------------------------------------------------------
_STREET = (r"(?:road|rd|street|st|avenue|ave|lane|close|grove|drive|way|crescent|rise|walk|court|gardens|terrace|"
           r"place|park|hill|green|row|square|mews|view)")
_PLACES = [
    # a house or a flat: "number 42", "at 14 Linden Avenue", "flat 3"
    (re.compile(r"\b(?:number|no\.?|flat|house|apartment)\s+\d+[a-z]?\b", re.I), "house number"),
    (re.compile(r"\b\d+[a-z]?\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s+" + _STREET + r"\b", re.I), "street address"),
    # a named street: "Foxglove Close", "on Kingstanding Road" (capitalised as people write them)
    (re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s+(?-i:Road|Rd|Street|Avenue|Lane|Close|Grove|Drive|Way|Crescent|"
                r"Rise|Walk|Court|Gardens|Terrace|Place|Mews|Row)\b"), "street"),
    # lives/living somewhere: "lives above the bakery", "lives in Quinton", "their house is the one with"
    (re.compile(r"\b(?:lives?|living|moved|staying)\s+(?:at|on|in|above|by|near|next to|round|behind|opposite|"
                r"three doors|two doors|next door|over the road)\b", re.I), "where someone lives"),
    (re.compile(r"\b(?:his|her|their)\s+(?:house|home|flat|address|kids?|children|wife|husband|daughter|son)\b"
                r"[^.!?\n]{0,40}\b(?:is|are|go|goes|works?|lives?)\b", re.I), "someone's home or family"),
    (re.compile(r"\b(?:house|flat|flats|home|block|estate)\s+(?:in|on|off|at)\s+[A-Z][a-z]+"), "a home's place"),
    (re.compile(r"\b(?:goes|go|at|from)\s+(?:to\s+)?[A-Z][a-z']+(?:\s+[A-Z][a-z']+)?\s+"
                r"(?-i:Primary|Academy|School|High|College|Juniors|Infants)\b"), "school"),
]
_TITLES = r"(?:PC|PCSO|DC|DS|DI|Sgt|Sergeant|Inspector|Insp|Mr|Mrs|Ms|Miss|Dr)"
_NAMED = [
    (re.compile(r"\b" + _TITLES + r"\.?\s+[A-Z][a-z]+\b"), "a titled name"),
    (re.compile(r"\b(?:called|named|name is|name's|that's|thats|this is|it's|is)\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\b"),
     "a name"),
    (re.compile(r"\b[A-Z][a-z]+\s+(?:from|off|of)\s+(?:the\s+)?[A-Z][a-z]+"), "a name with a place"),
    (re.compile(r"\b(?:my|our|the)\s+(?:neighbou?r|ex|friend|cousin|mate|brother|sister|uncle|aunt|nan|son|"
                r"daughter|grand(?:son|daughter))\s+[A-Z][a-z]+"), "a name"),
    (re.compile(r"(?<![\w@])@[A-Za-z0-9_.]{3,}\b"), "a social media account"),
]
#: capitalised words after "that's"/"is" that are not names
_NOT_NAMES = {"I", "It", "The", "This", "That", "There", "Lol", "Not", "Brum", "Birmingham", "Walsall", "Dudley",
              "Wolverhampton", "Coventry", "Solihull", "Sandwell", "Flickr", "Facebook", "God", "Christmas", "Friday",
              "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Villa", "Blues", "Police"}


@dataclass(frozen=True)
class RuleFindings:
    """What the rules found in one comment; never the personal details themselves."""

    threat: tuple[str, ...] = ()
    offensive: tuple[str, ...] = ()
    crime: tuple[str, ...] = ()
    #: asking, in earnest, to report a crime here: the guidance's case for the crime-reporting reply
    asking_to_report: bool = False
    removal: tuple[str, ...] = ()
    question: tuple[str, ...] = ()
    #: the kinds of personal details it holds ("UK phone number")
    private: tuple[str, ...] = ()
    #: how it names or places somebody ("street", "a titled name"), for deciding to delete a disclosure
    locates: tuple[str, ...] = ()

    def kind(self) -> Kind:
        """The kind these words alone say: abuse before a crime report (referred to 0345 113 5000)
        before other personal details, a request to take the photo down, a question; else other."""
        if self.threat:
            return Kind.THREAT
        if self.offensive:
            return Kind.OFFENSIVE
        if self.crime:
            return Kind.CRIME_REPORT
        if self.private:
            return Kind.PERSONAL_DETAILS
        if self.removal:
            return Kind.REMOVAL_REQUEST
        if self.question:
            return Kind.QUESTION
        return Kind.OTHER

    def signals(self) -> tuple[str, ...]:
        return self.threat + self.offensive + self.crime + self.private + self.removal


def shown_text(text: str) -> str:
    """The text a comment shows: tags are word breaks, entities decoded, Unicode tricks undone."""
    return normalise(html.unescape(_TAG.sub(" ", text)))


def read_rules(text: str) -> RuleFindings:
    shown = shown_text(text)
    plain = " ".join(shown.lower().split())
    private = personal_details(shown)
    words = plain.split()
    first = words[0].strip(",.!") if words else ""
    question = ("?",) if "?" in plain else (first,) if first in _QUESTION_WORDS and len(words) > 2 else ()
    return RuleFindings(
        threat=tuple(sorted({m.group(0) for m in _THREAT.finditer(plain.translate(_LEET))})),
        offensive=tuple(sorted(offensive_words(plain))),
        crime=tuple(m.group(0) for p in _CRIME if (m := p.search(plain))),
        asking_to_report=any(p.search(plain) for p in _ASKING_TO_REPORT) and not _JOKING.search(plain),
        removal=tuple(m.group(0) for p in _REMOVAL if (m := p.search(plain))),
        question=question,
        private=private,
        locates=tuple(sorted(set(private) | set(locating(shown)))),
    )


def offensive_words(plain: str) -> set[str]:
    """The offensive words in ``plain`` (lower case), also when spelled out ("f u c k"), in
    leetspeak ("sh1t") or masked with symbols of any length ("f***", "b*****ds", "f%%k")."""
    spelled = _SPELLED_OUT.sub(lambda m: re.sub(r"[\s.-]", "", m.group()), plain)
    found = {m.group(0) for text in (plain, spelled, plain.translate(_LEET), spelled.translate(_LEET))
             for m in _OFFENSIVE.finditer(text)}
    for masked in _MASKED.findall(plain):
        found.update(unmask(masked))
    return found


def unmask(masked: str) -> set[str]:
    """The listed words ``masked`` can stand for: each run of symbols is one or more letters.

    At least two letters must show, or one letter and two symbols ("f**"), so "5*" or "b*" mean nothing.
    """
    word = masked.strip(".,;:'\"()").translate(_LEET)
    letters = sum(ch.isalpha() for ch in word)
    runs = re.findall(r"[" + re.escape(_MASK) + r"]+|[^" + re.escape(_MASK) + r"]+", word)
    if not runs or letters == 0 or (letters < 2 and len(word) < 3):
        return set()
    shape = re.compile("".join("[a-z]+" if run[0] in _MASK else re.escape(run) for run in runs))
    return {w for w in MASKED_WORDS if shape.fullmatch(w)}


@lru_cache(maxsize=1)
def _book():
    return load_rulebook()


def personal_details(shown: str) -> tuple[str, ...]:
    """The kinds of personal details in ``shown`` (phone numbers, email addresses, number plates...),
    by name; never the details themselves. Phone numbers are read by ``phonenumbers`` (Google's
    libphonenumber: it knows every UK numbering range, spaced and dashed as people write them), and
    by the policy's pattern too, as the captions are."""
    hits = scan({"description": shown}, (), _book())
    kinds = {hit.label for hit in hits if hit.rule.id == _PRIVATE_RULE}
    if _phone_numbers(shown):
        kinds.add("UK phone number")
    return tuple(sorted(kinds))


def _phone_numbers(shown: str) -> list[str]:
    found = []
    for match in phonenumbers.PhoneNumberMatcher(shown, "GB", leniency=phonenumbers.Leniency.POSSIBLE):
        national = str(match.number.national_number)
        if national in _PUBLIC_NUMBERS:
            continue
        written_as_uk = match.raw_string.lstrip("(").startswith(("0", "+44", "0044"))
        if phonenumbers.is_valid_number(match.number) or (written_as_uk and len(national) in (9, 10)):
            found.append(match.raw_string)
    return found


def locating(shown: str) -> list[str]:
    """How ``shown`` names or places somebody: a street or house, where someone lives, a school,
    a title and name ("PC Harland"), a name with a place. Words, not the names themselves."""
    found = [why for regex, why in _PLACES if regex.search(shown)]
    for regex, why in _NAMED:
        for match in regex.finditer(shown):
            name = match.group(0).split()[-1] if why == "a name" else match.group(0)
            if why == "a name" and name in _NOT_NAMES:
                continue
            found.append(why)
            break
    return sorted(set(found))

"""Write ``captions.jsonl``: the hand-written captions plus template families filled with invented
West Midlands names and places. Deterministic (seeded): run it again and the file is the same.

    python tests/data/captions/make_corpus.py

Each line: id, group, text, title (may be empty), label ("ok" or the guidance rule id the caption
breaks), guidance (the line quoted from the guidance, empty for ok), note. A template family is
one group, so its fillings never straddle the development/evaluation split (SPLIT.md).
"""
from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from hand_breaches import BREACHES  # noqa: E402
from hand_more import MORE_BREACHES, MORE_OK  # noqa: E402
from hand_ok import OK  # noqa: E402

GUIDANCE = {
    "dont-sentenced-or-missing-people": "Add images of people sentenced, missing people or wanted offenders (see below)",
    "dont-wanted-people-or-suspects": "Add images of wanted people or suspects.",
    "dont-juveniles": "Add images of juveniles.",
    "dont-evidence": "Add pictures of anything that may be used as evidence in court.",
    "dont-graphic-or-sensationalist": "Add graphic or sensationalist images, eg, pictures of vehicles involved in RTCs.",
    "dont-identify-crime-scenes": "Don't identify crime scenes. You can add pictures from scenes such as cannabis factories, but don't do anything that would identify addresses, victims or suspects.",
    "dont-crime-scene-outside-policing": "Add anything from a crime scene that is outside the investigation or policing.",
    "dont-children-without-permission": "Be careful about adding pictures of children. Not only will you need parental permission (as above) but some Safeguarding Boards do not allow pictures of school children to be used on any social networking sites.",
    "dont-personal-details": "Contain personal details of other people",
    "dont-protective-markings": "Contact protectively marked, sensitive, restrictive or sensitive information",
    "dont-libellous": "Be libellous",
    "dont-breach-copyright": "Breach copyright",
    "dont-undermine-operations": "Undermine operational activities or the security of staff",
    "dont-damage-reputation": "Damage the reputation of WMP",
    "people-reporting-crime": "We cannot accept reports of crime through our social media sites.",
}

FIRST = ["Kayleigh", "Dwayne", "Priya", "Connor", "Tasha", "Imran", "Bethany", "Marlon", "Sinead", "Haroon",
         "Courtney", "Lewis", "Agnieszka", "Delroy", "Megan", "Tariq", "Zara", "Wesley", "Roxanne", "Gurpreet"]
LAST = ["Bradbury", "Okafor", "Hendry", "Malik", "Tolley", "Chana", "Brookes", "Wainwright", "Osei", "Partridge",
        "Begum", "Fellows", "Lightfoot", "Nazir", "Rowley", "Grainger", "Jukes", "Sandhu", "Pearsall", "Duffy"]
PLACES = ["Handsworth", "Erdington", "Sparkhill", "Small Heath", "Kings Heath", "Northfield", "Acocks Green",
          "Kingstanding", "Bordesley Green", "Stechford", "Castle Vale", "Quinton", "Whitmore Reans", "Bilston",
          "Wednesfield", "Bloxwich", "Darlaston", "Willenhall", "Brierley Hill", "Netherton", "Tipton", "Oldbury",
          "Smethwick", "West Bromwich", "Chelmsley Wood", "Shirley", "Foleshill", "Tile Hill", "Hillfields", "Lye"]
STREETS = ["Wharfdale Road", "Cherry Tree Lane", "Maple Close", "Coppice Street", "Hollybush Lane", "Station Road",
           "Birchfield Avenue", "Meadow Rise", "Victoria Terrace", "Oakham Drive", "Church Walk", "Foundry Lane",
           "Beacon View", "Paddock Way", "Lime Grove", "Canal Side"]
SCHOOLS = ["St Anne's Primary", "Oakwood Junior School", "Hillcrest Academy", "Park Hall Primary", "Wren Lane Infants",
           "Holy Cross Catholic Primary", "Greystone Academy", "Brook Meadow Primary"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
PHONES = [f"07700 900{n:03d}" for n in (112, 245, 318, 471, 563, 690, 784, 837)] + \
         [f"0121 496 0{n:03d}" for n in (104, 239, 381, 452, 597, 648, 773, 916)]
ROADS = ["the A34", "the A38", "the A449", "the M6 near junction 7", "the Black Country Route", "the A45 Coventry Road",
         "the Hagley Road", "the Tame Valley Canal towpath", "the A4123 Birmingham New Road", "the A452 Chester Road"]
CARS = ["Ford Fiesta", "Vauxhall Astra", "BMW 3 Series", "Nissan Qashqai", "VW Golf", "Toyota Yaris", "Audi A3"]

# (label, note, templates). Each template is one way of writing the case; each family is filled
# FILLS times, a random template for each filling.
FILLS = 4
FAMILIES: list[tuple[str, str, list[str]]] = [
    ("dont-sentenced-or-missing-people", "missing appeal, template", [
        "{first} {last}, {age}, was last seen in {place} on {day} and hasn't been in touch since. Can you help?",
        "Worried family: {first}, {age}, left home in {place} on {day} and no one has heard from them.",
        "{first} {last} from {place} has not been seen since {day}. Please share and help us find them.",
    ]),
    ("dont-sentenced-or-missing-people", "missing, no name, template", [
        "We need your help tracing a {age}-year-old who walked away from a hospital ward in {place} on {day}.",
        "Urgent: a vulnerable {age}-year-old has not returned home to {place} since {day}. Please keep a look out.",
    ]),
    ("dont-sentenced-or-missing-people", "sentenced, template", [
        "{first} {last}, {age}, of {place}, will serve {years} years after admitting the robbery.",
        "Justice done: {first} {last} from {place} was sent down for {years} years on {day}.",
        "{first} {last} was given {years} years at Birmingham Crown Court for the {place} burglaries.",
    ]),
    ("dont-sentenced-or-missing-people", "sentenced, template", [
        "This is the face of the man who will be behind the door for {years} years: {first} {last} of {place}.",
        "{first} {last}'s crime spree in {place} ended with a {years}-year term handed down on {day}.",
    ]),
    ("dont-wanted-people-or-suspects", "wanted, template", [
        "Do you know {first} {last}? The {age}-year-old is wanted in connection with an assault in {place}.",
        "We're trying to trace {first} {last}, {age}, after a break-in in {place} on {day}. Seen him?",
        "{first} {last} is being sought by officers over a robbery in {place}. Don't approach; call 999.",
    ]),
    ("dont-wanted-people-or-suspects", "suspect described, template", [
        "The man in this image may have information about a theft from a van in {place} on {day}.",
        "Officers want to identify the person pictured after a shop in {place} was targeted on {day}.",
        "A {age}-year-old man from {place} remains in custody after the incident on {day}.",
    ]),
    ("dont-juveniles", "juvenile offender, template", [
        "A {cage}-year-old from {place} has been referred to the youth offending service after the {day} break-in.",
        "Two boys, aged {cage} and {cage2}, from {place}, were held on {day} over the damage to cars.",
        "The {cage}-year-old who stole a car in {place} on {day} has been dealt with at the youth court.",
    ]),
    ("dont-evidence", "evidence, template", [
        "The items seized from a house in {place} on {day} have been logged and will go before the court.",
        "This {item}, recovered in {place}, is now being examined by experts ahead of the trial.",
        "The {item} found in {place} will be a key exhibit when the case reaches court.",
    ]),
    ("dont-graphic-or-sensationalist", "crash scene, template", [
        "The {car} after it hit a tree on {road} on {day} night. Its driver died at the scene.",
        "What's left of a {car} after a head-on crash on {road}. Two people were seriously hurt.",
        "Wreck of the {car} on {road}: this is what speeding does.",
    ]),
    ("dont-identify-crime-scenes", "address linked to crime, template", [
        "Officers outside a house on {street}, {place}, where a man was attacked on {day}.",
        "The home on {street} in {place} which burglars targeted on {day} while the family slept.",
        "Police at the property in {street}, {place}, after a woman was assaulted there on {day}.",
    ]),
    ("dont-children-without-permission", "named child, template", [
        "{first}, {cage}, from {school} in {place}, with the prize-winning road safety poster.",
        "Well done to {first} {last}, aged {cage}, a pupil at {school} in {place}.",
        "{first} ({cage}) and classmates from {school}, {place}, meeting our officers on {day}.",
    ]),
    ("dont-personal-details", "personal details, template", [
        "Call {first} on {phone} if you can help with the {place} community fun day.",
        "Thanks to {first} {last} of {num} {street}, {place}, who spotted the fire.",
        "{first} {last}, who lives on {street} in {place}, is organising the street party.",
    ]),
    ("dont-undermine-operations", "future operation, template", [
        "Look out for our officers in {place} on {day} morning: we'll be raiding addresses linked to drugs.",
        "Our unmarked car will be in {place} every {day} this month, watching for drivers on their phones.",
        "On {day} at 5am the team will be going through doors across {place}.",
    ]),
    ("people-reporting-crime", "invites crime reports, template", [
        "Seen something suspicious in {place}? Tell us the details in the comments below.",
        "Know who's been dealing near {street} in {place}? Leave a comment and we'll follow it up.",
        "If you were targeted in {place} on {day}, post what happened under this photo.",
    ]),
    ("dont-libellous", "accuses a named person, template", [
        "{first} {last} of {place} is the one running the stolen goods trade round here, everyone knows it.",
        "Ask anyone on {street} in {place}: {first} {last} is behind the burglaries.",
    ]),
    ("dont-breach-copyright", "other owner's picture, template", [
        "Picture: {first} {last} / Express & Star. Our officers in {place} on {day}.",
        "Photo taken from a resident's Facebook page showing officers in {place} on {day}.",
    ]),
    ("ok", "neighbourhood event, template", [
        "Officers from the {place} neighbourhood team at the community fun day on {day}.",
        "The {place} team held a street surgery on {street} on {day}: thanks to everyone who came.",
        "PCSO {first} {last} at the {place} residents' meeting on {day}, talking about parking.",
    ]),
    ("ok", "crime prevention, template", [
        "Free bike marking in {place} on {day}: bring your bike and proof of ownership.",
        "Our crime prevention officer will be in {place} library on {day} with free window alarms.",
        "Protect your catalytic converter: free marking in {place} on {day} from 10am.",
    ]),
    ("ok", "staff PR, template", [
        "PC {first} {last} celebrates {years} years of service with the {place} team.",
        "Congratulations to PCSO {first} {last}, our {place} beat manager, on her award.",
        "Sergeant {first} {last} from {place} completed the Birmingham marathon for charity.",
    ]),
    ("ok", "campaign, template", [
        "Our road safety team on {road} on {day}, reminding drivers to slow down near schools.",
        "Campaign poster going up across {place}: lock your car, every time.",
        "Officers in {place} on {day} talking to shoppers about courier fraud.",
    ]),
    ("ok", "trap, template", [
        "Volunteers wanted for the {place} Community Speedwatch: training on {day}.",
        "Evidence from {place} shows the new lighting has made the underpass feel safer.",
        "Juvenile ducks on the pool at {place} park, spotted on {day}'s patrol.",
    ]),
    ("ok", "trap, template", [
        "Don't miss our open day at the {place} station on {day}.",
        "A great shot of the {place} team at {day}'s charity match.",
        "Our youth workers and officers hosted a football tournament in {place} on {day}.",
    ]),
]

ITEMS = ["knife", "mobile phone", "holdall of cash", "crowbar", "hammer", "set of scales", "blood-stained hoodie", "replica gun"]


def _fill(template: str, rng: random.Random) -> str:
    cage = rng.randint(6, 11)
    values = {
        "first": rng.choice(FIRST), "last": rng.choice(LAST), "age": rng.randint(19, 78), "place": rng.choice(PLACES),
        "street": rng.choice(STREETS), "day": rng.choice(DAYS), "years": rng.randint(2, 14), "school": rng.choice(SCHOOLS),
        "cage": cage, "cage2": cage + 1, "phone": rng.choice(PHONES), "road": rng.choice(ROADS), "car": rng.choice(CARS),
        "item": rng.choice(ITEMS), "num": rng.randint(2, 120),
    }
    return template.format(**values)


def _entry(raw: object) -> dict:
    if isinstance(raw, str):
        return {"text": raw}
    if isinstance(raw, tuple):
        return {"text": raw[0], "note": raw[1]}
    return dict(raw)  # type: ignore[arg-type]


def _record(number: int, group: str, label: str, entry: dict, note: str) -> dict:
    return {
        "id": f"c{number:04d}",
        "group": group,
        "text": entry["text"],
        "title": entry.get("title", ""),
        "label": label,
        "guidance": GUIDANCE.get(label, ""),
        "note": entry.get("note", note),
    }


def build() -> list[dict]:
    records: list[dict] = []
    for label, items in BREACHES.items():
        for index, item in enumerate(items + MORE_BREACHES.get(label, [])):
            group = f"h-{label}-{index}"
            for entry in (item if isinstance(item, list) else [item]):
                records.append(_record(len(records) + 1, group, label, _entry(entry), "hand-written"))
    for index, item in enumerate(OK + MORE_OK):
        records.append(_record(len(records) + 1, f"h-ok-{index}", "ok", _entry(item), "hand-written"))
    for index, (label, note, templates) in enumerate(FAMILIES):
        rng = random.Random(f"family-{index}")
        seen: set[str] = set()
        for _ in range(FILLS * 3):
            if len(seen) == FILLS:
                break
            text = _fill(rng.choice(templates), rng)
            if text in seen:
                continue
            seen.add(text)
            records.append(_record(len(records) + 1, f"t-{index}", label, {"text": text}, note))
    texts = [record["text"] for record in records]
    assert len(texts) == len(set(texts)), "duplicate caption"
    return records


def main() -> None:
    records = build()
    out = HERE / "captions.jsonl"
    out.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    labels: dict[str, int] = {}
    for record in records:
        labels[record["label"]] = labels.get(record["label"], 0) + 1
    digest = hashlib.sha256(out.read_bytes()).hexdigest()[:12]
    print(f"{len(records)} captions -> {out} (sha256 {digest})")
    for label, count in sorted(labels.items()):
        print(f"  {count:4d} {label}")


if __name__ == "__main__":
    main()

"""Ready-to-post texts announcing a batch of new photos on the force's other social networks.

The guidance asks that "releases of image batches are publicised externally", that new images be
cross-referenced "with other social networks, such as Twitter, YouTube and Facebook", that posts
"link back to www.west-midlands.police.uk" and "avoid jargon and formal language", and that the
Flickr account be promoted at every opportunity. Each text links to the album and to the force's
site, in plain words, and fits its network's limit as that network counts it:

============  =======  ==================================================================
network       limit    counted as
============  =======  ==================================================================
x             280      X's weighted count: a link is 23, most characters 1, others (CJK,
                       emoji) 2
facebook      63,206   characters
instagram     2,200    characters (links are not clickable in a caption: it says so)
youtube       5,000    characters of a community post (the first ~280 show before "more")
mastodon      500      characters, a link counting 23 (the instance default)
bluesky       300      graphemes (approximated by code points here, which is never fewer)
============  =======  ==================================================================

Plain functions, no I/O: :mod:`pressroom.stages.announce` calls them.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

FORCE_SITE = "https://www.west-midlands.police.uk"
CRIME_LINE = "Please don't report crime in the comments: call 0345 113 5000 (999 in an emergency)."
LIMITS = {"x": 280, "facebook": 63_206, "instagram": 2_200, "youtube": 5_000, "mastodon": 500, "bluesky": 300}
NETWORKS = ("x", "facebook", "instagram", "youtube")
_LINK = re.compile(r"https?://\S+")
_LINK_WEIGHT = 23  # X and Mastodon count every link as 23 characters, whatever its length
_MAX_TITLES = 5


@dataclass(frozen=True)
class Batch:
    """What a batch announcement says: the album, its page, how many photos and their titles."""

    album: str
    album_url: str
    titles: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.titles)


def album_title(album: str) -> str:
    """``neighbourhood-day`` → ``Neighbourhood day``: an album folder's name as words."""
    words = " ".join(re.sub(r"[-_]+", " ", album).split())
    return words[:1].upper() + words[1:] if words else "New photos"


def weighted_length(text: str, network: str) -> int:
    """The length of ``text`` as ``network`` counts it against its limit."""
    if network in ("x", "mastodon"):
        links = _LINK.findall(text)
        rest = _LINK.sub("", text)
        if network == "mastodon":
            return len(rest) + _LINK_WEIGHT * len(links)
        return sum(_x_weight(c) for c in unicodedata.normalize("NFC", rest)) + _LINK_WEIGHT * len(links)
    return len(text)


def _x_weight(char: str) -> int:
    """X counts these ranges (Latin, punctuation, spaces, general symbols) as 1, anything else as 2."""
    code = ord(char)
    light = code <= 0x10FF or 0x2000 <= code <= 0x200D or 0x2010 <= code <= 0x201F or 0x2032 <= code <= 0x2037
    return 1 if light else 2


def fits(text: str, network: str) -> bool:
    return weighted_length(text, network) <= LIMITS[network]


def _photos(count: int) -> str:
    return f"{count} new photo{'s' if count != 1 else ''}"


def _titles(batch: Batch) -> str:
    """The photos' titles as a list in words ("" when none has a title)."""
    shown = [t for t in batch.titles if t][:_MAX_TITLES]
    if not shown:
        return ""
    more = batch.count - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def post(batch: Batch, network: str) -> str:
    """The text for ``network``, shortened (titles, then the album's name) until it fits."""
    name = album_title(batch.album)
    for titles, title in ((True, name), (False, name), (False, _cut(name, 40)), (False, _cut(name, 15))):
        text = _compose(batch, network, title, titles)
        if fits(text, network):
            return text
    raise ValueError(f"no {network} text fits its limit")  # the last form is ~150 characters: never


def posts(batch: Batch) -> dict[str, str]:
    """A text for each of :data:`NETWORKS`."""
    return {network: post(batch, network) for network in NETWORKS}


def _compose(batch: Batch, network: str, name: str, with_titles: bool) -> str:
    photos, url = _photos(batch.count), batch.album_url
    listed = _titles(batch) if with_titles else ""
    if network in ("x", "mastodon", "bluesky"):
        inside = f" ({listed})" if listed else ""
        are = "is" if batch.count == 1 else "are"
        return (f"{photos.capitalize()} from {name} {are} on our Flickr{inside}: {url}\n"
                f"More from West Midlands Police: {FORCE_SITE}")
    inside = f" In the album: {listed}." if listed else ""
    if network == "instagram":
        are = "is" if batch.count == 1 else "are"
        return (f"{photos.capitalize()} from {name} {are} on our Flickr.{inside}\n\n"
                f"See the whole album at {url} (the link is in our bio too).\n"
                f"More about your local police: {FORCE_SITE}\n\n{CRIME_LINE}\n\n#WestMidlandsPolice #Flickr")
    lead = "We've added" if network == "facebook" else "We've just added"
    return (f"{lead} {photos} to our Flickr album \"{name}\".{inside}\n\n"
            f"See the album: {url}\n\nFind out what we're doing in your area: {FORCE_SITE}\n\n{CRIME_LINE}")


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"

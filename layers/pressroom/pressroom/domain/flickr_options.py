"""What Flickr is told about each photo besides its text: licence, who may comment, safety level
and content type. The deployment sets the defaults (``PRESSROOM_FLICKR_*``); an upload may declare
its own (``--declare licence=cc-by-4.0 comments=nobody safety=safe content-type=other``). Tags and
notes by others are never allowed: a stranger's note could name someone in a police photo."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: licence → Creative Commons address Flickr lists it under (flickr.photos.licenses.getInfo), "" for
#: "All Rights Reserved"; the id is looked up by this address, never assumed
LICENCES = {
    "all-rights-reserved": "",
    "cc-by-4.0": "creativecommons.org/licenses/by/4.0/",
    "cc-by-sa-4.0": "creativecommons.org/licenses/by-sa/4.0/",
    "cc-by-nc-4.0": "creativecommons.org/licenses/by-nc/4.0/",
    "cc-by-nc-sa-4.0": "creativecommons.org/licenses/by-nc-sa/4.0/",
    "cc-by-nd-4.0": "creativecommons.org/licenses/by-nd/4.0/",
    "cc-by-nc-nd-4.0": "creativecommons.org/licenses/by-nc-nd/4.0/",
    "cc0": "creativecommons.org/publicdomain/zero/1.0/",
    "public-domain": "creativecommons.org/publicdomain/mark/1.0/",
}
LICENCE_NAMES = {"all-rights-reserved": "All rights reserved", "cc-by-4.0": "CC BY 4.0", "cc-by-sa-4.0": "CC BY-SA 4.0",
                 "cc-by-nc-4.0": "CC BY-NC 4.0", "cc-by-nc-sa-4.0": "CC BY-NC-SA 4.0", "cc-by-nd-4.0": "CC BY-ND 4.0",
                 "cc-by-nc-nd-4.0": "CC BY-NC-ND 4.0", "cc0": "CC0 (no rights reserved)",
                 "public-domain": "Public domain mark"}
#: Flickr's values: perm_comment (flickr.photos.setPerms), safety_level and content_type (upload API)
COMMENTS = {"everyone": "3", "contacts": "2", "nobody": "0"}
SAFETY = {"safe": "1", "moderate": "2", "restricted": "3"}
CONTENT_TYPES = {"photo": "1", "screenshot": "2", "other": "3"}


@dataclass(frozen=True)
class FlickrOptions:
    licence: str = "all-rights-reserved"
    comments: str = "everyone"
    safety: str = "safe"
    content_type: str = "photo"

    def describe(self) -> str:
        return (f"{LICENCE_NAMES[self.licence]} · comments: {self.comments} · safety: {self.safety} · "
                f"{self.content_type}")


def options_for(declared: dict[str, str], defaults: Any) -> FlickrOptions:
    """The photo's options: what it declared, where that is one of the choices, else the
    deployment's default (``defaults``: the settings)."""
    def pick(key: str, choices: dict[str, str], default: str) -> str:
        value = str(declared.get(key) or "").strip().lower()
        return value if value in choices else (default if default in choices else next(iter(choices)))

    return FlickrOptions(
        licence=pick("licence", LICENCES, defaults.flickr_licence),
        comments=pick("comments", COMMENTS, defaults.flickr_comments),
        safety=pick("safety", SAFETY, defaults.flickr_safety),
        content_type=pick("content-type", CONTENT_TYPES, defaults.flickr_content_type),
    )

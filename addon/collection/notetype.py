"""The add-on's note type, "Lesson Flashcard": created once, upgraded in place."""

from __future__ import annotations

from typing import Any

from anki.collection import Collection
from anki.models import NotetypeDict, NotetypeId

NOTETYPE_NAME = "Lesson Flashcard"
# Bump when fields, templates or styling change; existing note types are upgraded in place.
NOTETYPE_VERSION = 1
_VERSION_MARK = "/* lesson-flashcards note type v{} */"
CONFIG_KEY = "lessonFlashcardsNotetype"  # collection config: the note type's id (syncs)

FIELDS = (
    "Front",
    "Back",
    "Difficulty",
    "Concept",
    "Cognitive Level",
    "Source Section",
    "Critical",
    "Key Terminology",
    "Lesson",
    "Card",
    "Lesson Flashcards ID",  # import state: identity, card number, content hashes
)
ID_FIELD = len(FIELDS) - 1

QFMT = """\
<div class="lf-badges">
  <span class="lf-badge lf-lesson">{{Lesson}}</span>
  {{#Difficulty}}<span class="lf-badge lf-difficulty lf-{{Difficulty}}">{{Difficulty}}</span>{{/Difficulty}}
  {{#Concept}}<span class="lf-badge lf-concept">{{Concept}}</span>{{/Concept}}
  {{#Critical}}<span class="lf-badge lf-critical">&#9733; Critical</span>{{/Critical}}
</div>
<div class="lf-front">{{Front}}</div>
"""

AFMT = """\
{{FrontSide}}
<hr id="answer">
<div class="lf-back">{{Back}}</div>
{{#Key Terminology}}<div class="lf-terms"><b>Key terms:</b> {{Key Terminology}}</div>{{/Key Terminology}}
<div class="lf-source">{{#Cognitive Level}}{{Cognitive Level}} &middot; {{/Cognitive Level}}{{Source Section}} &middot; Card {{Card}}</div>
"""

CSS = """\
.card {
  font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 18px;
  line-height: 1.45;
  text-align: left;
  color: #1f2328;
  background-color: #ffffff;
  max-width: 52em;
  margin: 0 auto;
  padding: 0 0.5em;
}
.lf-badges { margin-bottom: 0.8em; line-height: 2; }
.lf-badge {
  display: inline-block; font-size: 0.7em; padding: 0.05em 0.6em; margin-right: 0.3em;
  border-radius: 1em; border: 1px solid #d0d7de; background: #f6f8fa; color: #57606a;
  white-space: nowrap;
}
.lf-Easy { background: #dafbe1; border-color: #4ac26b; color: #116329; }
.lf-Medium { background: #fff8c5; border-color: #d4a72c; color: #7d4e00; }
.lf-Hard { background: #ffebe9; border-color: #ff8182; color: #a40e26; }
.lf-critical { background: #fbefff; border-color: #c297ff; color: #6e40c9; font-weight: bold; }
.lf-front { font-size: 1.05em; }
.lf-terms, .lf-source { margin-top: 1em; font-size: 0.8em; color: #57606a; }
.lf-table { overflow-x: auto; -webkit-overflow-scrolling: touch; margin: 0.6em 0; max-width: 100%; }
.lf-table table { border-collapse: collapse; font-size: 0.9em; }
.lf-table th, .lf-table td { border: 1px solid #d0d7de; padding: 0.3em 0.6em; vertical-align: top; }
.lf-table th { background: #f6f8fa; font-weight: 600; }
.lf-table tr:nth-child(even) td { background: #fbfcfd; }
code {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 0.88em; background: rgba(175, 184, 193, 0.2); padding: 0.1em 0.3em; border-radius: 4px;
}
pre.lf-code, pre.lf-diagram {
  overflow-x: auto; -webkit-overflow-scrolling: touch; background: #f6f8fa; border: 1px solid #d0d7de;
  border-radius: 6px; padding: 0.6em 0.8em; line-height: 1.3; white-space: pre; word-wrap: normal;
}
pre.lf-code code, pre.lf-diagram code { background: none; padding: 0; font-size: 0.85em; }
pre.lf-diagram, pre.lf-diagram code {
  font-family: "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", "Noto Sans Mono", monospace;
  line-height: 1.15; font-variant-ligatures: none;
}
blockquote { border-left: 4px solid #d0d7de; margin: 0.5em 0; padding: 0 0.8em; color: #57606a; }
@media (max-width: 480px) {
  .card { font-size: 16px; padding: 0 0.2em; }
  .lf-table table { font-size: 0.82em; }
  pre.lf-code code, pre.lf-diagram code { font-size: 0.75em; }
}
.nightMode.card, .nightMode .card { color: #e6edf3; background-color: #1e1e1e; }
.nightMode .lf-badge { background: #2d333b; border-color: #444c56; color: #adbac7; }
.nightMode .lf-Easy { background: #1b4721; border-color: #2ea043; color: #7ee787; }
.nightMode .lf-Medium { background: #4b3a00; border-color: #bb8009; color: #f2cc60; }
.nightMode .lf-Hard { background: #5d0f12; border-color: #da3633; color: #ffa198; }
.nightMode .lf-critical { background: #3c1e70; border-color: #8957e5; color: #d2a8ff; }
.nightMode .lf-terms, .nightMode .lf-source, .nightMode blockquote { color: #9da7b3; }
.nightMode .lf-table th, .nightMode .lf-table td { border-color: #444c56; }
.nightMode .lf-table th { background: #2d333b; }
.nightMode .lf-table tr:nth-child(even) td { background: #23282e; }
.nightMode pre.lf-code, .nightMode pre.lf-diagram { background: #2d333b; border-color: #444c56; }
.nightMode code { background: rgba(110, 118, 129, 0.4); }
"""


def _styling() -> str:
    return _VERSION_MARK.format(NOTETYPE_VERSION) + "\n" + CSS


def _installed_version(nt: NotetypeDict) -> int:
    css: str = nt.get("css", "")
    for v in range(NOTETYPE_VERSION + 5, 0, -1):
        if _VERSION_MARK.format(v) in css:
            return v
    return 0


def find_notetype(col: Collection) -> NotetypeDict | None:
    """Our note type: by the id remembered in the collection, else by name."""
    ntid = col.get_config(CONFIG_KEY, None)
    if ntid:
        nt = col.models.get(NotetypeId(ntid))
        if nt is not None:
            return nt
    nt = col.models.by_name(NOTETYPE_NAME)
    if nt is not None and [f["name"] for f in nt["flds"]][: len(FIELDS)] == list(FIELDS):
        return nt
    return None


def ensure_notetype(col: Collection) -> NotetypeDict:
    """Create the note type once; upgrade fields/templates/styling in place when ours is older."""
    nt = find_notetype(col)
    if nt is None:
        mm = col.models
        nt = mm.new(NOTETYPE_NAME)
        for name in FIELDS:
            fld = mm.new_field(name)
            if name in ("Front", "Back"):
                fld["collapsed"] = False
            mm.add_field(nt, fld)
        tmpl = mm.new_template("Lesson Card")
        tmpl["qfmt"] = QFMT
        tmpl["afmt"] = AFMT
        mm.add_template(nt, tmpl)
        nt["css"] = _styling()
        nt["sortf"] = 0
        changes = mm.add_dict(nt)
        nt = mm.get(NotetypeId(changes.id))
        assert nt is not None
        col.set_config(CONFIG_KEY, nt["id"])
        return nt
    if _installed_version(nt) < NOTETYPE_VERSION:
        _upgrade(col, nt)
        nt = col.models.get(nt["id"])
        assert nt is not None
    if col.get_config(CONFIG_KEY, None) != nt["id"]:
        col.set_config(CONFIG_KEY, nt["id"])
    return nt


def _upgrade(col: Collection, nt: NotetypeDict) -> None:
    mm = col.models
    names = [f["name"] for f in nt["flds"]]
    for name in FIELDS:
        if name not in names:
            mm.add_field(nt, mm.new_field(name))
    tmpl: dict[str, Any] = nt["tmpls"][0]
    tmpl["qfmt"] = QFMT
    tmpl["afmt"] = AFMT
    nt["css"] = _styling()
    mm.update_dict(nt)


def field_index(nt: NotetypeDict) -> dict[str, int]:
    return {f["name"]: f["ord"] for f in nt["flds"]}

"""Small helpers shared by the add-on's GUI modules (config, optional modules, op results)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from anki.collection import Collection, OpChanges

from ..config import Config

if TYPE_CHECKING:
    from aqt.main import AnkiQt

# The add-on's top-level package ("lesson_flashcards" when installed from a file, the AnkiWeb
# id when installed from AnkiWeb, "addon" in a source checkout).
ADDON_PACKAGE = __name__.split(".", 1)[0]


def package_name(mw: AnkiQt) -> str:
    return mw.addonManager.addonFromModule(__name__)


def raw_config(mw: AnkiQt) -> dict[str, Any]:
    return dict(mw.addonManager.getConfig(package_name(mw)) or {})


def load_config(mw: AnkiQt) -> Config:
    """The one config loader, fed with Anki's stored add-on config (raises ConfigError)."""
    return Config.from_dict(mw.addonManager.getConfig(package_name(mw)))


def addon_folder(mw: AnkiQt) -> Path:
    return Path(mw.addonManager.addonsFolder(package_name(mw)))


def config_help_markdown(mw: AnkiQt | None = None) -> str:
    """config.md (beside the package when installed, at the repo root in development)."""
    here = Path(__file__).resolve().parent.parent
    candidates = [here / "config.md", here.parent / "config.md"]
    if mw is not None:
        candidates.insert(0, addon_folder(mw) / "config.md")
    for path in candidates:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return ""


def optional_module(relative: str) -> ModuleType | None:
    """``optional_module("collection.scheduling")``: the add-on's module, or None if it is not
    part of this build (a feature check for modules that other parts of the add-on provide)."""
    base = __name__.rsplit(".", 2)[0]  # the add-on's top package
    name = f"{base}.{relative}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and (name == e.name or name.startswith(e.name + ".")):
            return None
        raise


def optional_function(relative_module: str, function: str) -> Callable[..., Any] | None:
    module = optional_module(relative_module)
    fn = getattr(module, function, None) if module is not None else None
    return fn if callable(fn) else None


@dataclass
class OpResult:
    """What ``CollectionOp`` needs (``.changes``) plus whatever the operation returned."""

    changes: OpChanges
    value: Any = None
    count: int | None = None


def as_op_result(value: Any) -> OpResult:
    """Wrap an unknown return value (OpChanges, OpChangesWithCount, int, None, a tuple...)."""
    if isinstance(value, OpResult):
        return value
    if isinstance(value, OpChanges):
        return OpResult(value, value)
    changes = getattr(value, "changes", None)
    count = getattr(value, "count", None)
    if isinstance(changes, OpChanges):
        return OpResult(changes, value, int(count) if isinstance(count, int) else None)
    if isinstance(value, int) and not isinstance(value, bool):
        return OpResult(everything_changed(), value, value)
    return OpResult(everything_changed(), value)


def everything_changed() -> OpChanges:
    """OpChanges that make Anki's screens redraw (for operations that report nothing)."""
    return OpChanges(
        card=True,
        note=True,
        deck=True,
        tag=True,
        notetype=True,
        config=True,
        deck_config=True,
        browser_table=True,
        study_queues=True,
        note_text=True,
    )


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def col_of(mw: AnkiQt) -> Collection | None:
    return mw.col

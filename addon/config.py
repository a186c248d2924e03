"""The one config loader: defaults from config.json, overridden by the user's values.

Pure Python. Inside Anki, ``gui`` passes ``mw.addonManager.getConfig(__name__)``;
tools and tests pass a dict (or nothing, for the defaults).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent


def default_config_path() -> Path:
    """config.json sits beside the package when installed, at the repo root in development."""
    for candidate in (_HERE / "config.json", _HERE.parent / "config.json"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("config.json not found beside the add-on")


def load_defaults() -> dict[str, Any]:
    with open(default_config_path(), encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class SourceSpec:
    """One lesson source: a folder, a single file or a URL, with an optional deck root."""

    location: str
    deck_root: str | None = None

    @property
    def is_url(self) -> bool:
        return self.location.lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class Config:
    tag_root: str = "lessons"
    deck_root: str = "Lessons"
    on_conflict: str = "keep"  # "keep" | "overwrite"
    critical_deck: str = "Lessons::Critical Knowledge"
    hold_until_mastered: bool = True
    mastery_interval_days: int = 21
    fsrs_desired_retention: Mapping[str, float] = field(
        default_factory=lambda: {"easy": 0.85, "medium": 0.9, "hard": 0.95}
    )
    sources: tuple[SourceSpec, ...] = ()
    sync_on_profile_open: bool = True
    sync_before_anki_sync: bool = True
    max_download_mb: float = 5
    request_timeout_seconds: float = 20

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None = None) -> Config:
        """Defaults from config.json, then ``values`` on top; unknown keys are ignored."""
        merged = load_defaults()
        if values:
            merged.update(values)
        try:
            sources = tuple(_source(s) for s in merged.get("sources") or [])
            on_conflict = str(merged["on_conflict"]).lower()
            if on_conflict not in ("keep", "overwrite"):
                raise ConfigError(
                    f"on_conflict must be 'keep' or 'overwrite', not {merged['on_conflict']!r}"
                )
            retention = {
                k.lower(): float(v) for k, v in dict(merged["fsrs_desired_retention"]).items()
            }
            for k, v in retention.items():
                if not 0.7 <= v <= 0.99:
                    raise ConfigError(
                        f"fsrs_desired_retention[{k!r}] must be between 0.70 and 0.99"
                    )
            tag_root = str(merged["tag_root"]).strip().strip(":")
            deck_root = str(merged["deck_root"]).strip().strip(":")
            if not tag_root or " " in tag_root:
                raise ConfigError("tag_root must be a non-empty tag without spaces")
            if not deck_root:
                raise ConfigError("deck_root must not be empty")
            return cls(
                tag_root=tag_root,
                deck_root=deck_root,
                on_conflict=on_conflict,
                critical_deck=str(merged["critical_deck"]).strip(),
                hold_until_mastered=bool(merged["hold_until_mastered"]),
                mastery_interval_days=max(1, int(merged["mastery_interval_days"])),
                fsrs_desired_retention=retention,
                sources=sources,
                sync_on_profile_open=bool(merged["sync_on_profile_open"]),
                sync_before_anki_sync=bool(merged["sync_before_anki_sync"]),
                max_download_mb=float(merged["max_download_mb"]),
                request_timeout_seconds=float(merged["request_timeout_seconds"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            if isinstance(e, ConfigError):
                raise
            raise ConfigError(f"invalid add-on config: {e}") from e


def _source(value: Any) -> SourceSpec:
    if isinstance(value, str):
        return SourceSpec(value)
    if isinstance(value, Mapping) and "location" in value:
        root = value.get("deck_root")
        return SourceSpec(str(value["location"]), str(root) if root else None)
    raise ConfigError(
        f'each entry of \'sources\' is a path or URL, or {{"location": ..., "deck_root": ...}}; got {value!r}'
    )

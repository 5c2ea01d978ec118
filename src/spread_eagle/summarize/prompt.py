"""The TL;DR prompt: a versioned file; a retry after a failed grounding check appends the reason."""

from __future__ import annotations

from functools import cache
from importlib import resources

PROMPT_VERSION = "tldr_v1"


@cache
def prompt_text(version: str = PROMPT_VERSION) -> str:
    return (resources.files("spread_eagle.summarize") / "prompts" / f"{version}.txt").read_text(
        encoding="utf-8"
    )


def render(feedback: str | None = None, version: str = PROMPT_VERSION) -> str:
    """The instructions, plus why the previous TL;DR was rejected when this is a second try."""
    text = prompt_text(version)
    if feedback:
        text += (
            "\nYour previous TL;DR was rejected by the grounding check: "
            f"{feedback}\nWrite it again and fix exactly that.\n"
        )
    return text

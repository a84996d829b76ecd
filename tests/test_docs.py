"""Documents generated from code stay in step with it."""

from __future__ import annotations

from pathlib import Path

from lockstep.core.permissions import DESCRIPTIONS, Perm, permissions_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_permissions_doc_is_generated_from_the_table() -> None:
    assert set(DESCRIPTIONS) == set(Perm)
    assert (DOCS / "permissions.md").read_text() == permissions_markdown(), (
        "docs/permissions.md is stale: run `lockstep permissions > docs/permissions.md`"
    )

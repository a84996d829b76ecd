"""A progress bar on standard error for long commands (backup, restore, export)."""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    """`with Progress(stream, "label", total) as bar: bar.advance(n)`. Draws a bar when the
    stream is a terminal (redrawn at most ten times a second); otherwise writes one line
    when the step is done, so logs stay readable."""

    def __init__(self, stream: TextIO, label: str, total: int, unit: str = "") -> None:
        self.stream = stream
        self.label = label
        self.total = max(total, 0)
        self.unit = unit
        self.done = 0
        self.started = time.monotonic()
        self.drawn = 0.0
        self.tty = stream.isatty()

    def __enter__(self) -> Progress:
        self.draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.done = max(self.done, self.total)
        self.draw(force=True)
        seconds = time.monotonic() - self.started
        if self.tty:
            self.stream.write("\n")
        else:
            self.stream.write(f"  {self.label}: {self.amount()} in {seconds:.1f} s\n")
        self.stream.flush()

    def amount(self) -> str:
        if self.unit == "bytes":
            return f"{self.done / 1e6:,.1f} of {self.total / 1e6:,.1f} MB"
        return f"{self.done:,} of {self.total:,}{' ' + self.unit if self.unit else ''}"

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.draw()

    def draw(self, force: bool = False) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if not force and now - self.drawn < 0.1:
            return
        self.drawn = now
        share = min(1.0, self.done / self.total) if self.total else 1.0
        filled = int(30 * share)
        bar = "█" * filled + "·" * (30 - filled)
        self.stream.write(f"\r  {self.label:<24} [{bar}] {share:4.0%}  {self.amount()}")
        self.stream.flush()

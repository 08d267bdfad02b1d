"""A dependency-free progress display: a redrawn bar on a terminal, periodic lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(round(max(seconds, 0)))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours:d}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


class Progress:
    """Counts of finished jobs, the rate and the estimated time left.

    Parameters
    ----------
    total : int
        Jobs to run.
    stream : text stream, optional
        Where to write (default: standard error).
    enabled : bool
        ``False`` writes nothing.
    interval : float
        Seconds between lines when the stream is not a terminal.
    """

    WIDTH = 24

    def __init__(
        self, total: int, stream: TextIO | None = None, enabled: bool = True, interval: float = 10.0
    ):
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = enabled and total > 0
        self.interval = interval
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.ok = 0
        self.failed = 0
        self.started = time.monotonic()
        self._last_line = 0.0

    @property
    def done(self) -> int:
        return self.ok + self.failed

    def text(self) -> str:
        """The status line (also used in logs)."""
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed * 60 if elapsed > 0 and self.done else 0.0
        eta = (elapsed / self.done) * (self.total - self.done) if self.done else None
        filled = int(self.WIDTH * self.done / self.total) if self.total else self.WIDTH
        bar = "#" * filled + "." * (self.WIDTH - filled)
        return (
            f"[{bar}] {self.done}/{self.total} 完成 {self.ok} 失败 {self.failed} | "
            f"{rate:.1f} 份/分钟 | 用时 {_clock(elapsed)} 剩余 {_clock(eta) if eta is not None else '--:--'}"
        )

    def update(self, status: str) -> None:
        """Count one finished job (``ok`` or ``failed``) and redraw or print when due."""
        if status == "ok":
            self.ok += 1
        else:
            self.failed += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r" + self.text())
            self.stream.flush()
        elif now - self._last_line >= self.interval or self.done == self.total:
            self._last_line = now
            self.stream.write(self.text() + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()

"""A real headless Chromium driven over the Chrome DevTools Protocol (CDP), for the browser tests.

Chromium (Debian's package) is started with ``--remote-debugging-port=0`` and no network: every host
name resolves to nothing and a dead proxy catches the rest. One websocket to the browser carries
commands to one page (a flattened session); every event is kept, so a test can assert that no
dialog opened, nothing was logged as an error and no request left ``file:``/``data:``.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import websocket

CHROMIUM_NAMES = ("chromium", "chromium-browser")

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--mute-audio",
    # No network: names resolve to nothing, and anything else goes to a closed local port.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
    "--remote-allow-origins=*",
]


def chromium_path() -> str:
    """The system Chromium; the test fails (never skips) without it: ``make test`` installs it."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "Chromium is required for the browser tests: `apt-get install -y chromium fontconfig` "
        "(tools/ensure_chromium.sh, run by `make test`, does it)."
    )


def fontconfig_file(tmp: Path) -> Path:
    """A fontconfig file adding the packaged Noto Sans CJK to the system fonts (no tofu boxes)."""
    from pbm_lib.report.fonts import font_path

    conf = tmp / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{font_path().parent}</dir>\n  <cachedir>{tmp / 'fc-cache'}</cachedir>\n</fontconfig>\n",
        encoding="utf-8",
    )
    return conf


class CDPError(RuntimeError):
    """A CDP command answered with an error, or a JavaScript expression threw."""


@dataclass
class Page:
    """One tab of a headless Chromium, driven by CDP commands; ``events`` keeps every event seen."""

    ws: websocket.WebSocket
    session: str
    events: list[dict[str, Any]] = field(default_factory=list)
    _next_id: int = 0

    def send(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = 30.0
    ) -> dict[str, Any]:
        """Send one command to the page and wait for its answer (events meanwhile are kept)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}, "sessionId": self.session}
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline, method)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _receive(self, deadline: float, waiting_for: str) -> dict[str, Any]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"CDP: no answer to {waiting_for}")
        self.ws.settimeout(left)
        message = json.loads(self.ws.recv())
        if "method" in message:
            self.events.append(message)
            if message["method"] == "Page.javascriptDialogOpening":  # never leave the page blocked
                self.ws.send(
                    json.dumps(
                        {
                            "id": 0,
                            "method": "Page.handleJavaScriptDialog",
                            "params": {"accept": False},
                            "sessionId": self.session,
                        }
                    )
                )
        return message

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression (promises awaited); raises if it throws."""
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}
        )
        if "exceptionDetails" in result:
            raise CDPError(f"{expression[:80]}…: {result['exceptionDetails']}")
        return result["result"].get("value")

    def goto(self, url: str) -> None:
        """Navigate and wait until the page's load event."""
        before = len(self.events)
        answer = self.send("Page.navigate", {"url": url})
        if answer.get("errorText"):
            raise CDPError(f"{url}: {answer['errorText']}")
        deadline = time.monotonic() + 30
        while not any(e["method"] == "Page.loadEventFired" for e in self.events[before:]):
            self._receive(deadline, "Page.loadEventFired")

    def click(self, selector: str) -> None:
        """A real mouse click (press and release) at the centre of the element."""
        box = self.evaluate(
            f"(() => {{const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView();"
            "const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2];})()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1},
            )

    def type_text(self, selector: str, text: str) -> None:
        """Focus a text box, clear it, and type as a user does (``input`` events fire)."""
        self.click(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).select()")
        self.key("Backspace")
        if text:
            self.send("Input.insertText", {"text": text})

    def key(self, key: str, code: int = 8) -> None:
        """Press and release one key (default Backspace)."""
        for kind in ("rawKeyDown", "keyUp"):
            self.send(
                "Input.dispatchKeyEvent",
                {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code},
            )

    def screenshot(self, path: Path, width: int = 1280, height: int = 1000) -> Path:
        """A PNG of the whole page at the given viewport width."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        path.write_bytes(base64.b64decode(data["data"]))
        return path


class Browser:
    """A headless Chromium process with one page; use as a context manager."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.process: subprocess.Popen[bytes] | None = None
        self.ws: websocket.WebSocket | None = None

    def __enter__(self) -> Page:
        profile = self.tmp / "profile"
        profile.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "FONTCONFIG_FILE": str(fontconfig_file(self.tmp)), "HOME": str(self.tmp)}
        self.process = subprocess.Popen(
            [
                chromium_path(),
                *FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and len(port_file.read_text().splitlines()) >= 2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Chromium did not start (exit code {self.process.poll()})")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}{path}", timeout=30, suppress_origin=True
        )
        target = _browser_call(self.ws, "Target.createTarget", {"url": "about:blank"})["targetId"]
        session = _browser_call(self.ws, "Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self.ws, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.send(f"{domain}.enable")
        return page

    def __exit__(self, *exc: object) -> None:
        if self.ws is not None:
            self.ws.close()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_BROWSER_IDS = itertools.count(1_000_000)  # apart from the pages' ids


def _browser_call(ws: websocket.WebSocket, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """A command to the browser itself (no session), before any page exists."""
    ident = next(_BROWSER_IDS)
    ws.send(json.dumps({"id": ident, "method": method, "params": params}))
    while True:
        message = json.loads(ws.recv())
        if message.get("id") == ident:
            if "error" in message:
                raise CDPError(f"{method}: {message['error']}")
            return message["result"]

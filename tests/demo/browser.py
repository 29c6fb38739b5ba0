"""Headless Chromium for the demo's browser tests (Debian's `chromium` and `chromium-driver`,
driven by Selenium; no browser is downloaded). Missing: skipped locally, a failure under CI=true."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
WINDOW = (1280, 860)


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason} (.ci/run installs chromium and chromium-driver)")
    pytest.skip(reason)


def start_browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (pip install -e .[test])")
    binary = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        _unavailable("chromium or chromedriver is missing (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={WINDOW[0]},{WINDOW[1]}", "--lang=en-GB", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    browser = webdriver.Chrome(options=options, service=Service(driver))
    browser.set_window_size(*WINDOW)
    return browser


@dataclass
class DemoProcess:
    process: subprocess.Popen
    url: str
    database_url: str
    output: list[str]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_demo(folder: Path, timeout: float = 60.0) -> DemoProcess:
    """`vitd-bot demo --port 0` as a user runs it; returns once it has printed its address."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "OPERATOR_IDS", "TELEGRAM_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--port", "0"], cwd=folder, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
    )
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            output.append(line.rstrip("\n"))
            if line.startswith("DATABASE_URL="):
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(timeout) or process.poll() is not None:
        process.kill()
        raise AssertionError("the demo did not start:\n" + "\n".join(output))
    text = "\n".join(output)
    url = re.search(r"open (http://127\.0\.0\.1:\d+/)", text).group(1)  # type: ignore[union-attr]
    database_url = re.search(r"^DATABASE_URL=(\S+)", text, re.M).group(1)  # type: ignore[union-attr]
    return DemoProcess(process, url, database_url, output)

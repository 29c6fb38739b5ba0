"""The demo page in headless Chromium, clicked through like a person would: enrolment by
buttons and the location picker, Day 1, the time machine to Day 2, a pain button, /progress from
the command menu, four weeks of sample check-ins, and an operator's broadcast reaching two
subscribers. With DEMO_SCREENSHOTS=<folder>, the key screens are saved there (see docs/)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.demo.browser import start_browser, start_demo

pytestmark = pytest.mark.slow  # starts processes: python3 dev.py test -m "not slow" skips it

ANNA, BEN, CHIARA, OLGA = 100001, 100002, 100003, 700001
TITLE = "Rehearsal: how an article reaches every subscriber"


@pytest.fixture(scope="module")
def browser():
    started = start_browser()
    yield started
    started.quit()


@pytest.fixture
def page(browser, tmp_path):
    demo = start_demo(tmp_path)
    try:
        browser.get(demo.url)
        yield Page(browser, demo)
    finally:
        code = demo.stop()
        assert code == 0, "the demo did not stop cleanly:\n" + "\n".join(demo.output)


class Page:
    def __init__(self, browser, demo) -> None:
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        self.browser, self.demo, self.by = browser, demo, By
        # The page re-renders a message when it changes: an element may go stale while we look.
        self._wait = lambda timeout: WebDriverWait(
            browser, timeout, poll_frequency=0.05, ignored_exceptions=[StaleElementReferenceException]
        )

    def until(self, check, what: str, timeout: float = 20.0):
        try:
            return self._wait(timeout).until(lambda _: check())
        except Exception as exc:
            chat = "\n  ".join(t[:80] for t in self.texts(".msg .bubble"))
            raise AssertionError(f"{what} did not happen; status {self.status()!r}; chat:\n  {chat}") from exc

    def css(self, selector: str):
        return self.browser.find_elements(self.by.CSS_SELECTOR, selector)

    def texts(self, selector: str) -> list[str]:
        return [e.text for e in self.css(selector)]

    def status(self) -> str:
        found = self.css("#status")
        return found[0].text if found else ""

    def bot_says(self, words: str, timeout: float = 20.0):
        """The newest bot bubble containing ``words`` (waits for it)."""
        def found():
            bubbles = [b for b in self.css(".msg.bot .bubble") if words in b.text]
            return bubbles[-1] if bubbles else None
        return self.until(found, f"a bot message with {words!r}", timeout)

    def click(self, selector: str) -> None:
        self.until(lambda: self._click(self.css(selector)), f"{selector} clicked")

    @staticmethod
    def _click(found) -> bool:
        """Click the newest of ``found``; a click on an element being replaced is retried."""
        if not found:
            return False
        found[-1].click()
        return True

    def press(self, label: str) -> None:
        """Press the newest inline button labelled ``label``."""
        self.until(
            lambda: self._click([b for b in self.css(".inline-btn") if b.text.strip() == label]),
            f"inline button {label!r} pressed",
        )

    def type(self, text: str) -> None:
        from selenium.webdriver.common.keys import Keys

        box = self.css("#text")[0]
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def switch_to(self, user_id: int) -> None:
        self.click(f'.person[data-id="{user_id}"]')
        self.until(lambda: self.css(f'.person.selected[data-id="{user_id}"]'), f"person {user_id} selected")

    def machine(self, selector: str, expect: str, timeout: float = 20.0) -> None:
        self.click(selector)
        self.until(lambda: expect in self.status(), f"the time machine to say {expect!r}", timeout)

    def image_loaded(self, count: int = 1) -> bool:
        return self.browser.execute_script(
            "const imgs = [...document.querySelectorAll('.bubble.photo img')];"
            "return imgs.length >= arguments[0] && imgs.every(i => i.complete && i.naturalWidth > 100);",
            count,
        )

    def shot(self, name: str, toast: bool = False) -> None:
        folder = os.environ.get("DEMO_SCREENSHOTS")
        if folder:
            if not toast:
                self.until(lambda: not self.css("#toast")[0].is_displayed(), "the toast gone")
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.browser.save_screenshot(str(Path(folder) / f"{name}.png"))


def test_a_subscriber_enrols_by_buttons_lives_through_days_and_sees_the_chart(page):
    page.type("/start")
    page.press("✅ I agree")
    page.bot_says("Which time zone")
    page.click("#reply-keyboard button[data-location='1']")  # the location button
    page.click("#cities button:nth-child(1)")  # Berlin, from the map-free city picker
    page.bot_says("Time zone set to Europe/Berlin")
    page.press("07:00")
    day1 = page.bot_says("Day 1 of 30")
    assert day1.find_elements(page.by.CSS_SELECTOR, "b"), "the day's title is bold"
    page.shot("demo-day1")

    page.machine("#tm-next", "07:00 (Europe/Berlin)")
    page.bot_says("Day 2 of 30")
    assert [t.split("\n")[0] for t in page.texts(".msg.bot .bubble") if t.startswith("Day ")] == [
        "Day 1 of 30", "Day 2 of 30"
    ]
    page.press("6")
    page.bot_says("saved: 6/10")
    page.until(lambda: "Saved: 6/10" in page.css("#toast")[0].text, "the button's answer shown")
    page.shot("demo-day2-checkin", toast=True)

    page.type("<b>not bold</b> & fine")  # a person's own text is shown as written
    mine = page.until(lambda: [b for b in page.css(".msg.user .bubble") if "<b>not bold</b>" in b.text], "my text shown")
    assert not mine[-1].find_elements(page.by.CSS_SELECTOR, "b")

    page.click("#menu-btn")
    page.click('#menu button[data-command="progress"]')
    page.until(page.image_loaded, "the /progress chart")
    page.shot("demo-progress")

    page.machine("#fill", "up to Day 28", timeout=90)
    page.bot_says("Day 28 of 30")
    page.type("/progress")
    page.until(lambda: page.image_loaded(2), "the /progress chart after four weeks")
    page.shot("demo-day28-progress")


def test_an_operator_broadcast_reaches_two_subscribers(page):
    for user, name in ((BEN, "Ben"), (CHIARA, "Chiara")):
        page.switch_to(user)
        page.machine("#quick-enrol", f"{name} is enrolled")
        page.bot_says("Day 1 of 30")
    page.switch_to(OLGA)
    page.click("#menu-btn")
    assert page.css('#menu button[data-command="broadcast"]'), "operators see their commands"
    page.click("#menu-btn")
    page.type("/broadcast demo-rehearsal")
    page.bot_says("Preview")
    page.press("Send to 2")
    page.bot_says("is done: 2 sent")
    page.shot("demo-broadcast-operator")
    for user in (BEN, CHIARA):
        page.switch_to(user)
        page.bot_says(TITLE)
    page.shot("demo-broadcast-subscriber")
    page.switch_to(ANNA)  # not enrolled: nothing
    page.until(lambda: page.css("#messages .empty"), "Anna's empty chat")

    # The CLI works against the running demo's database.
    env = {**os.environ, "DATABASE_URL": page.demo.database_url}
    stats = subprocess.run([sys.executable, "-m", "bot", "stats"], env=env, capture_output=True, text=True, timeout=120)
    assert stats.returncode == 0, stats.stderr
    assert "active" in stats.stdout and "2" in stats.stdout.split("Subscribers by status:")[1].splitlines()[0]


def test_entities_become_elements_and_only_web_links_are_followed(page):
    from bot.fakeapi.markup import utf16_len

    text = "Day 👍 bold italic link bad <img src=x onerror=alert(1)>"

    def at(part: str) -> int:  # Telegram counts offsets in UTF-16 code units
        return utf16_len(text[: text.index(part)])

    entities = [
        {"type": "italic", "offset": at("italic"), "length": 6},
        {"type": "bold", "offset": at("bold"), "length": 11},
        {"type": "text_link", "offset": at("link"), "length": 4, "url": "https://example.org/a?b=1&c=2"},
        {"type": "text_link", "offset": at("bad"), "length": 3, "url": "javascript:alert(1)"},
    ]
    html = page.browser.execute_script(
        "const box = document.createElement('div'); box.append(formatted(arguments[0], arguments[1]));"
        "return box.innerHTML;",
        text, entities,
    )
    assert html == (
        'Day 👍 <b>bold <i>italic</i></b> '
        '<a href="https://example.org/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">link</a> '
        "<a>bad</a> &lt;img src=x onerror=alert(1)&gt;"
    )

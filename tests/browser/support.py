"""Helpers of the browser tests: tool checks, a recording tab, layout probes and page data."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Dialog, Locator, Page, Request

from heliograph.domain import incidents, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Service, ServiceGroup
from heliograph.domain.models import Page as StatusPage
from heliograph.domain.vocab import State, Status
from heliograph.public.presenter import PALETTES

CHROMIUM = os.environ.get("HELIOGRAPH_CHROMIUM", "/usr/bin/chromium")
REPOSITORY = Path(__file__).resolve().parents[2]
NODE_MODULES = REPOSITORY / "node_modules"
AXE_SCRIPT = NODE_MODULES / "axe-core" / "axe.min.js"
LIGHTHOUSE_CLI = NODE_MODULES / "lighthouse" / "cli" / "index.js"

# Without the networking switches, Chromium keeps trying to reach hosts it cannot from here.
CHROMIUM_SWITCHES = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)

DESKTOP = 1280
PHONE = 375


def missing_chromium() -> str | None:
    """Return why Chromium cannot be launched, with the command that installs it, or None."""
    if os.access(CHROMIUM, os.X_OK):
        return None
    return (f"Chromium is missing at {CHROMIUM}: install it with "
            "`apt-get install -y --no-install-recommends chromium`, or name another binary "
            "in HELIOGRAPH_CHROMIUM.")


def missing_node_tool(path: Path) -> str | None:
    """Return why an npm tool at `path` is unusable, with the command that installs it, or None."""
    if shutil.which("node") is None:
        return "Node.js is missing: install it with `apt-get install -y nodejs npm`."
    if path.exists():
        return None
    return (f"{path.relative_to(REPOSITORY)} is missing: run `npm ci --ignore-scripts` in "
            f"{REPOSITORY}.")


# --- Tabs ----------------------------------------------------------------------------------


class Tab:
    """A Playwright page that records dialogs, script errors and failed requests.

    Each dialog is recorded and dismissed, so a hostile `alert()` cannot block the test.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.script_errors: list[str] = []
        self.console_errors: list[str] = []
        self.failed_requests: list[str] = []
        page.on("dialog", self._on_dialog)
        page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        page.on("console", self._on_console)
        page.on("requestfailed", self._on_request_failed)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _on_request_failed(self, request: Request) -> None:
        # A reload or navigation cancels the requests still in flight, such as the favicon;
        # Chromium reports those as aborted, which is no fault of the page.
        if request.failure != "net::ERR_ABORTED":
            self.failed_requests.append(request.url)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def goto(self, url: str) -> None:
        response = self.page.goto(url, wait_until="load")
        assert response is not None, url
        assert response.status == 200, f"{url} returned {response.status}"

    def locator(self, selector: str, **options: Any) -> Locator:
        return self.page.locator(selector, **options)

    def evaluate(self, script: str, argument: Any = None) -> Any:
        return self.page.evaluate(script, argument)

    def style(self, selector: str, prop: str) -> str:
        """Return the computed value of a CSS property on the first element `selector` finds."""
        return str(self.locator(selector).first.evaluate(
            "(element, prop) => getComputedStyle(element).getPropertyValue(prop)", prop
        ))

    def overflow_px(self) -> int:
        """Return how many CSS pixels the document is wider than the viewport (0 when none)."""
        return int(self.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        ))

    def elements_past_right_edge(self) -> list[str]:
        """Describe elements whose box ends right of the viewport, outside any scroll box."""
        return list(self.evaluate("""() => {
            const width = document.documentElement.clientWidth;
            const found = [];
            const clipped = element => {
                for (let parent = element.parentElement; parent; parent = parent.parentElement) {
                    if (getComputedStyle(parent).overflowX !== 'visible') return true;
                }
                return false;
            };
            for (const element of document.body.querySelectorAll('*')) {
                const box = element.getBoundingClientRect();
                if (box.right > width + 0.5 && clipped(element)) continue;
                if (box.width > 0 && box.height > 0 && box.right > width + 0.5) {
                    const text = (element.textContent || '').trim().slice(0, 40);
                    found.push(`${element.tagName.toLowerCase()}.${element.className} ` +
                               `right=${Math.round(box.right)} "${text}"`);
                }
            }
            return found.slice(0, 10);
        }"""))

    def problems(self) -> list[str]:
        """Return the script errors, console errors and failed requests seen so far."""
        return [*self.script_errors, *self.console_errors,
                *(f"request failed: {url}" for url in self.failed_requests)]


def rgb(colour: str) -> str:
    """Return a `#rrggbb` colour as the `rgb(r, g, b)` text of a computed style."""
    red, green, blue = (int(colour[index:index + 2], 16) for index in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def palette_rgb(theme: str) -> dict[str, str]:
    """Return the theme's page colours and state marks as computed-style text."""
    palette = PALETTES[theme]
    colours = {
        "background": rgb(palette.background),
        "text": rgb(palette.text),
        "link": rgb(palette.link),
    }
    for key, state in palette.states.items():
        colours[key] = rgb(state.mark)
        colours[f"{key}-banner"] = rgb(state.banner)
        colours[f"{key}-on"] = rgb(state.on_banner)
    return colours


# --- Addresses -----------------------------------------------------------------------------


def page_url(server_url: str, slug: str, path: str = "") -> str:
    """Return the URL of a page's view at its own host, `<slug>.localhost:<port>`.

    Chromium resolves every `*.localhost` name to the loopback address, so no DNS is needed.
    """
    port = urlsplit(server_url).port
    return f"http://{slug}.localhost:{port}/{path}"


def prefixed_url(server_url: str, slug: str, path: str = "") -> str:
    """Return the URL of a page's view under `/p/<slug>/` on the main host."""
    return f"{server_url.rstrip('/')}/p/{slug}/{path}"


# --- Page data -----------------------------------------------------------------------------


def add_services(page: StatusPage, names: Sequence[str], actor: Actor, *,
                 start_date: dt.date | None = None,
                 group: ServiceGroup | None = None) -> list[Service]:
    return [pages.add_service(page, name=name, start_date=start_date, group=group, actor=actor)
            for name in names]


def past_incident(page: StatusPage, actor: Actor, start: dt.datetime, minutes: int, *,
                  title: str = "Past outage", services: Sequence[Service] = (),
                  state: State = State.MAJOR_OUTAGE, text: str = "Something broke.") -> Incident:
    """Record a closed incident that lasted `minutes` in one state."""
    return incidents.backfill_incident(
        page, title=title, services=services, actor=actor,
        events=[
            incidents.PastEvent(at=start, status=Status.INVESTIGATING, text=text, state=state),
            incidents.PastEvent(at=start + dt.timedelta(minutes=minutes),
                                status=Status.RESOLVED, text="Fixed."),
        ],
    )


def open_incident(page: StatusPage, actor: Actor, *, title: str = "API errors",
                  text: str = "We are looking into it.", services: Sequence[Service] = (),
                  state: State = State.PARTIAL_OUTAGE, ago: dt.timedelta | None = None,
                  now: dt.datetime) -> Incident:
    return incidents.open_incident(
        page, title=title, text=text, state=state, status=Status.INVESTIGATING,
        services=services, at=now - (ago or dt.timedelta(hours=1)), actor=actor,
    )


# --- axe-core ------------------------------------------------------------------------------

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(tab: Tab) -> list[str]:
    """Run axe-core on the tab's document; return one line per violated rule and node."""
    problem = missing_node_tool(AXE_SCRIPT)
    assert problem is None, problem
    # Evaluated through the DevTools protocol rather than added as a <script> element, which
    # the pages' Content-Security-Policy would block.
    tab.page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;undefined")
    violations = tab.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
        }).then(results => results.violations)""",
        AXE_TAGS,
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        f"{' '.join(node['target'])}: {node['failureSummary']}"
        for violation in violations for node in violation["nodes"]
    ]


# --- Lighthouse ----------------------------------------------------------------------------

LIGHTHOUSE_CATEGORIES = ("accessibility", "best-practices", "seo")


def lighthouse_report(url: str, output: Path, *extra: str) -> dict[str, Any]:
    """Run the Lighthouse CLI on `url` in Debian's Chromium and return its JSON report.

    Lighthouse exits 0 whatever the scores, so the caller reads them from the report.
    """
    problem = missing_node_tool(LIGHTHOUSE_CLI) or missing_chromium()
    assert problem is None, problem
    chrome_flags = " ".join(["--headless=new", *CHROMIUM_SWITCHES])
    command = [
        "node", str(LIGHTHOUSE_CLI), url, f"--chrome-flags={chrome_flags}",
        f"--only-categories={','.join(LIGHTHOUSE_CATEGORIES)}",
        "--output=json", f"--output-path={output}", "--quiet", *extra,
    ]
    completed = subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROMIUM},
                               capture_output=True, text=True, timeout=180, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    report: dict[str, Any] = json.loads(output.read_text())
    assert "runtimeError" not in report, report["runtimeError"]
    return report


def lighthouse_failures(report: dict[str, Any]) -> dict[str, list[str]]:
    """Return, per category below 100, the audits that cost points, with their details."""
    failures: dict[str, list[str]] = {}
    for key in LIGHTHOUSE_CATEGORIES:
        category = report["categories"][key]
        if category["score"] == 1:
            continue
        lines = []
        for reference in category["auditRefs"]:
            audit = report["audits"][reference["id"]]
            if reference["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
                details = json.dumps(audit.get("details", {}).get("items", []))[:400]
                lines.append(f"{audit['id']}: {audit['title']} {details}")
        failures[key] = [f"score {category['score']}", *lines]
    return failures

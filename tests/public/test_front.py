"""The front page: header, banner, current events, services with day strips, maintenances."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from heliograph.domain import incidents, maintenances, pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Incident, Maintenance, Page, Service
from heliograph.domain.vocab import State, Status
from tests.public.conftest import NOW, local
from tests.public.dom import Node

TODAY = dt.date(2026, 6, 15)


def bars_of(dom: Node, service_name: str) -> list[Node]:
    """Return the day bars of one service, oldest first."""
    for item in dom.find_all("li", cls="service"):
        if item.one(cls="service-name").text() == service_name:
            return item.one("ol", cls="strip").find_all("li", cls="bar")
    raise AssertionError(f"no service {service_name!r} on the page")


def bar_on(dom: Node, service_name: str, date_text: str) -> Node:
    matches = [bar for bar in bars_of(dom, service_name)
               if bar.one("strong").text() == date_text]
    assert len(matches) == 1, date_text
    return matches[0]


def state_class(node: Node) -> str:
    return next(name for name in node.classes if name.startswith("s-"))


# --- Header and layout ---------------------------------------------------------------------


def test_front_header_shows_title_and_main_site(
    page: Page, actor: Actor, get_dom: Callable[..., Node]
) -> None:
    pages.update_page(page, {"main_site_url": "https://acme.example/"}, actor=actor)

    dom = get_dom("/")

    assert dom.one("h1", cls="brand").text() == "Acme"
    assert dom.one("a", cls="main-site").attrs["href"] == "https://acme.example/"


def test_front_header_without_main_site_has_no_link(
    page: Page, get_dom: Callable[..., Node]
) -> None:
    assert get_dom("/").find_all("a", cls="main-site") == []


def test_front_header_custom_colours(page: Page, actor: Actor,
                                     get_dom: Callable[..., Node]) -> None:
    pages.update_page(page, {"header_background": "#003366", "header_text_color": "#ffffff"},
                      actor=actor)

    dom = get_dom("/")

    assert "custom" in dom.one("header").classes
    style = dom.one("style").text()
    assert "--header-bg:#003366" in style
    assert "--header-text:#ffffff" in style


def test_front_header_default_colours_follow_theme(page: Page,
                                                   get_dom: Callable[..., Node]) -> None:
    dom = get_dom("/")

    assert "custom" not in dom.one("header").classes
    assert "--header-bg" not in dom.one("style").text()


def test_front_theme_attribute(page: Page, actor: Actor, get_dom: Callable[..., Node]) -> None:
    assert get_dom("/").one("html").attrs["data-theme"] == "auto"

    pages.update_page(page, {"theme": "dark"}, actor=actor)

    assert get_dom("/").one("html").attrs["data-theme"] == "dark"


def test_front_style_defines_both_themes(page: Page, get_dom: Callable[..., Node]) -> None:
    style = get_dom("/").one("style").text()

    assert ':root[data-theme="dark"]' in style
    assert "prefers-color-scheme: dark" in style


def test_front_language_and_lang_attribute(page: Page, get: Callable[..., Any]) -> None:
    response = get("/")

    assert response["Content-Language"] == "en"
    assert b'<html lang="en"' in response.content


def test_front_has_favicon_and_script(page: Page, get_dom: Callable[..., Node]) -> None:
    dom = get_dom("/")

    icon = dom.one("link", rel="icon")
    assert icon.attrs["href"] == f"/favicon.svg?v={Page.objects.get().version}"
    assert icon.attrs["type"] == "image/svg+xml"
    script = dom.one("script")
    assert script.attrs["src"].endswith("public/status.js")
    assert "defer" in script.attrs


def test_front_noscript_shows_last_updated(page: Page, get_dom: Callable[..., Node]) -> None:
    noscript = get_dom("/").one("noscript")

    assert "Last updated June 15, 2026, 12:00 CDT" in noscript.text()


# --- Banner --------------------------------------------------------------------------------


def test_banner_without_incidents_shows_default_message(
    page: Page, get_dom: Callable[..., Node]
) -> None:
    banner = get_dom("/").one("section", cls="banner")

    assert state_class(banner) == "s-operational"
    assert banner.one(cls="banner-message").text() == "All systems operational"
    assert banner.one("h2").text() == "Operational"


def test_banner_lists_open_incident_titles_with_links(
    page: Page, open_incident: Callable[..., Incident], get_dom: Callable[..., Node]
) -> None:
    first = open_incident("Slow API", state=State.DEGRADED_PERFORMANCE,
                          at=NOW - dt.timedelta(hours=3))
    second = open_incident("Login down", state=State.MAJOR_OUTAGE,
                           at=NOW - dt.timedelta(hours=1))

    banner = get_dom("/").one("section", cls="banner")

    links = banner.one("ul", cls="banner-titles").find_all("a")
    assert [link.text() for link in links] == ["Slow API", "Login down"]
    assert [link.attrs["href"] for link in links] == [
        f"/incidents/{first.pk}", f"/incidents/{second.pk}"
    ]
    # By default the colour is that of the incident opened first.
    assert state_class(banner) == "s-degraded_performance"
    assert banner.one("h2").text() == "Degraded performance"


def test_banner_worst_rule_takes_worst_state(
    page: Page, actor: Actor, open_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    pages.update_page(page, {"banner_color_rule": "worst"}, actor=actor)
    open_incident("Slow API", state=State.DEGRADED_PERFORMANCE, at=NOW - dt.timedelta(hours=3))
    open_incident("Login down", state=State.MAJOR_OUTAGE, at=NOW - dt.timedelta(hours=1))

    banner = get_dom("/").one("section", cls="banner")

    assert state_class(banner) == "s-major_outage"


def test_banner_icon_shape_follows_state(
    page: Page, open_incident: Callable[..., Incident], get_dom: Callable[..., Node]
) -> None:
    open_incident(state=State.MAJOR_OUTAGE)

    use = get_dom("/").one("section", cls="banner").one("use")

    assert use.attrs["href"] == "#i-major_outage"


# --- Current events ------------------------------------------------------------------------


def test_current_events_show_latest_event(
    page: Page, actor: Actor, open_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    incident = open_incident("API errors", text="First look.", at=NOW - dt.timedelta(hours=2))
    incidents.post_event(incident, text="Found the **cause**.", state=State.DEGRADED_PERFORMANCE,
                         status=Status.IDENTIFIED, at=NOW - dt.timedelta(minutes=30), actor=actor)

    section = get_dom("/").one("section", aria_labelledby="current-heading")

    entry = section.one("li", cls="entry")
    assert state_class(entry) == "s-degraded_performance"
    assert entry.one("a").attrs["href"] == f"/incidents/{incident.pk}"
    assert entry.one("a").text() == "API errors"
    meta = entry.one("p", cls="meta").text()
    assert "Degraded performance" in meta
    assert "Identified" in meta
    assert "June 15, 2026, 11:30 CDT" in meta
    body = entry.one("div", cls="md")
    assert body.one("strong").text() == "cause"
    assert "First look" not in section.text()


def test_current_events_absent_without_open_incidents(
    page: Page, past_incident: Callable[..., Incident], get_dom: Callable[..., Node]
) -> None:
    past_incident(NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=1), title="Old outage")

    dom = get_dom("/")

    assert dom.find_all("section", aria_labelledby="current-heading") == []
    assert "Old outage" not in dom.text()


# --- Services ------------------------------------------------------------------------------


def test_services_show_state_icon_and_label(
    page: Page, add_service: Callable[..., Service], open_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    api = add_service("API")
    add_service("Website")
    open_incident(services=[api], state=State.MAJOR_OUTAGE)

    dom = get_dom("/")

    items = {item.one(cls="service-name").text(): item for item in dom.find_all(cls="service")}
    api_tag = items["API"].one(cls="state-tag")
    assert api_tag.text() == "Major outage"
    assert api_tag.one("use").attrs["href"] == "#i-major_outage"
    assert items["Website"].one(cls="state-tag").text() == "Operational"


def test_services_grouped_in_order(
    page: Page, actor: Actor, add_service: Callable[..., Service], get_dom: Callable[..., Node]
) -> None:
    core = pages.add_group(page, name="Core", actor=actor)
    add_service("Website")
    add_service("API", group=core)
    add_service("Database", group=core)
    add_service("Docs")

    dom = get_dom("/")

    group = dom.one("section", cls="group")
    assert group.one("span", cls="group-name").text() == "Core"
    assert [node.text() for node in group.find_all(cls="service-name")] == ["API", "Database"]
    names = [node.text() for node in dom.find_all(cls="service-name")]
    assert names == ["Website", "API", "Database", "Docs"]


def test_group_state_is_worst_of_its_services(
    page: Page, actor: Actor, add_service: Callable[..., Service],
    open_incident: Callable[..., Incident], get_dom: Callable[..., Node]
) -> None:
    core = pages.add_group(page, name="Core", actor=actor)
    api = add_service("API", group=core)
    add_service("Database", group=core)
    open_incident(services=[api], state=State.PARTIAL_OUTAGE)

    group = get_dom("/").one("section", cls="group")

    assert group.one("h3").one(cls="state-tag").text() == "Partial outage"


def test_service_under_maintenance(
    page: Page, actor: Actor, add_service: Callable[..., Service],
    schedule: Callable[..., Maintenance], get_dom: Callable[..., Node]
) -> None:
    database = add_service("Database")
    maintenance = schedule(NOW - dt.timedelta(minutes=10), NOW + dt.timedelta(hours=1),
                           services=[database])
    maintenances.post_event(maintenance, text="Started.", actor=actor)

    dom = get_dom("/")

    tag = dom.one("li", cls="service").one(cls="state-tag")
    assert tag.text() == "Under maintenance"
    assert state_class(tag) == "s-under_maintenance"


def test_page_without_services_has_banner_only(page: Page, get_dom: Callable[..., Node]) -> None:
    dom = get_dom("/")

    assert dom.find_all("section", aria_labelledby="services-heading") == []
    assert dom.one("section", cls="banner")


# --- Day strips ----------------------------------------------------------------------------


def test_strip_has_ninety_focusable_bars(
    page: Page, add_service: Callable[..., Service], get_dom: Callable[..., Node]
) -> None:
    add_service("API", start_date=TODAY - dt.timedelta(days=200))

    bars = bars_of(get_dom("/"), "API")

    assert len(bars) == 90
    assert all(bar.attrs.get("tabindex") == "0" for bar in bars)
    assert bars[0].one("strong").text() == "March 18, 2026"
    assert bars[-1].one("strong").text() == "June 15, 2026"


def test_strip_is_named_for_screen_readers(
    page: Page, add_service: Callable[..., Service], get_dom: Callable[..., Node]
) -> None:
    add_service("API", start_date=TODAY - dt.timedelta(days=200))

    strip = get_dom("/").one("ol", cls="strip")

    assert strip.attrs["aria-label"] == "API, day by day over the last 90 days"


def test_strip_bar_text_for_clean_day(
    page: Page, add_service: Callable[..., Service], get_dom: Callable[..., Node]
) -> None:
    add_service("API", start_date=TODAY - dt.timedelta(days=200))

    bar = bar_on(get_dom("/"), "API", "June 1, 2026")

    assert state_class(bar) == "s-operational"
    assert bar.one(cls="tip").text() == "June 1, 2026 No downtime"


def test_strip_three_day_incident_on_three_bars(
    page: Page, add_service: Callable[..., Service], past_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    api = add_service("API", start_date=TODAY - dt.timedelta(days=200))
    past_incident(local(page, 2026, 6, 10, 22, 0), local(page, 2026, 6, 12, 2, 0),
                  services=[api], state=State.MAJOR_OUTAGE)

    dom = get_dom("/")

    assert state_class(bar_on(dom, "API", "June 9, 2026")) == "s-operational"
    assert state_class(bar_on(dom, "API", "June 10, 2026")) == "s-major_outage"
    assert state_class(bar_on(dom, "API", "June 11, 2026")) == "s-major_outage"
    assert state_class(bar_on(dom, "API", "June 12, 2026")) == "s-major_outage"
    assert state_class(bar_on(dom, "API", "June 13, 2026")) == "s-operational"


def test_strip_tooltip_gives_minutes_down(
    page: Page, add_service: Callable[..., Service], past_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    api = add_service("API", start_date=TODAY - dt.timedelta(days=200))
    past_incident(local(page, 2026, 6, 10, 22, 0), local(page, 2026, 6, 12, 2, 35),
                  services=[api], state=State.MAJOR_OUTAGE)

    dom = get_dom("/")

    assert bar_on(dom, "API", "June 10, 2026").one(cls="tip").text() == (
        "June 10, 2026 Major outage, 2 h down"
    )
    assert bar_on(dom, "API", "June 11, 2026").one(cls="tip").text() == (
        "June 11, 2026 Major outage, 24 h down"
    )
    assert bar_on(dom, "API", "June 12, 2026").one(cls="tip").text() == (
        "June 12, 2026 Major outage, 2 h 35 min down"
    )


def test_strip_degraded_day_is_not_down(
    page: Page, add_service: Callable[..., Service], past_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    api = add_service("API", start_date=TODAY - dt.timedelta(days=200))
    past_incident(local(page, 2026, 6, 10, 9, 0), local(page, 2026, 6, 10, 9, 45),
                  services=[api], state=State.DEGRADED_PERFORMANCE)

    bar = bar_on(get_dom("/"), "API", "June 10, 2026")

    assert state_class(bar) == "s-degraded_performance"
    assert bar.one(cls="tip").text() == "June 10, 2026 Degraded performance, 45 min degraded"


def test_strip_service_added_yesterday_shows_no_data(
    page: Page, add_service: Callable[..., Service], get_dom: Callable[..., Node]
) -> None:
    add_service("Search", start_date=TODAY - dt.timedelta(days=1))

    bars = bars_of(get_dom("/"), "Search")

    assert [state_class(bar) for bar in bars[:88]] == ["s-no_data"] * 88
    assert bars[0].one(cls="tip").text() == "March 18, 2026 No data"
    assert [state_class(bar) for bar in bars[88:]] == ["s-operational"] * 2


def test_strip_uptime_below_bars(
    page: Page, add_service: Callable[..., Service], past_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    api = add_service("API", start_date=TODAY - dt.timedelta(days=200))
    # 1296 minutes down over 90 days of 1440 minutes (no DST change in the window): 99 %.
    past_incident(local(page, 2026, 6, 1, 0, 0), local(page, 2026, 6, 1, 21, 36),
                  services=[api], state=State.PARTIAL_OUTAGE)

    item = get_dom("/").one("li", cls="service")

    assert item.one(cls="uptime").text() == "99.00 % uptime"


def test_strip_open_incident_colours_today(
    page: Page, add_service: Callable[..., Service], open_incident: Callable[..., Incident],
    get_dom: Callable[..., Node]
) -> None:
    api = add_service("API", start_date=TODAY - dt.timedelta(days=200))
    open_incident(services=[api], state=State.PARTIAL_OUTAGE, at=NOW - dt.timedelta(minutes=90))

    bar = bars_of(get_dom("/"), "API")[-1]

    assert state_class(bar) == "s-partial_outage"
    assert bar.one(cls="tip").text() == "June 15, 2026 Partial outage, 1 h 30 min down"


# --- Maintenances --------------------------------------------------------------------------


def test_maintenances_upcoming_and_in_progress_listed(
    page: Page, actor: Actor, schedule: Callable[..., Maintenance], get_dom: Callable[..., Node]
) -> None:
    running = schedule(NOW - dt.timedelta(hours=1), NOW + dt.timedelta(hours=1), title="Running")
    maintenances.post_event(running, text="Started.", actor=actor)
    upcoming = schedule(NOW + dt.timedelta(days=2), NOW + dt.timedelta(days=2, hours=2),
                        title="Upcoming")
    done = schedule(NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=3) + dt.timedelta(hours=1),
                    title="Done")
    maintenances.close_maintenance(done, actor=actor)

    section = get_dom("/").one("section", aria_labelledby="maintenance-heading")

    links = section.find_all("a")
    assert [link.text() for link in links] == ["Running", "Upcoming"]
    assert links[1].attrs["href"] == f"/maintenances/{upcoming.pk}"
    statuses = [node.text() for node in section.find_all("span", cls="status")]
    assert statuses == ["In progress", "Scheduled"]


def test_maintenance_window_and_services_on_front(
    page: Page, add_service: Callable[..., Service], schedule: Callable[..., Maintenance],
    get_dom: Callable[..., Node]
) -> None:
    database = add_service("Database")
    schedule(local(page, 2026, 6, 20, 22, 0), local(page, 2026, 6, 21, 1, 30),
             services=[database])

    entry = get_dom("/").one("section", aria_labelledby="maintenance-heading").one("li")

    meta = entry.one(cls="meta").text()
    assert "June 20, 2026, 22:00 CDT \N{EN DASH} June 21, 2026, 01:30 CDT" in meta
    assert entry.one(cls="affected").text() == "Affects: Database"


def test_maintenance_description_cut_at_word_boundary(
    page: Page, schedule: Callable[..., Maintenance], get_dom: Callable[..., Node]
) -> None:
    description = "We replace the **primary** database server. " * 10

    schedule(NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=1, hours=1),
             description=description)
    excerpt = get_dom("/").one("p", cls="excerpt").text()

    assert len(excerpt) <= 200
    assert excerpt.endswith("…")
    assert excerpt.startswith("We replace the primary database server. We replace")
    words = excerpt.removesuffix("…").split(" ")
    assert all(word in {"We", "replace", "the", "primary", "database", "server.", "server"}
               for word in words)


def test_front_links_to_history_and_past_maintenances(
    page: Page, get_dom: Callable[..., Node]
) -> None:
    nav = get_dom("/").one("nav", cls="more-links")

    assert [a.attrs["href"] for a in nav.find_all("a")] == ["/history", "/maintenances",
                                                           "/subscribe"]


def test_long_latest_update_shortened_on_front(page, open_incident, get):
    incident = open_incident(title="Slow API", text="word " * 400)

    body = get("/").content.decode()

    assert "Read the whole update" in body
    assert body.count("word") < 100
    assert f'/incidents/{incident.pk}"' in body


def test_public_page_answers_post_with_405(page, client):
    response = client.post("/", HTTP_HOST="acme.localhost")

    assert response.status_code == 405
    assert "GET" in response["Allow"]

"""Colours, icons and labels of states: WCAG contrast, distinct shapes, header fallback."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page
from heliograph.domain.vocab import DisplayState
from heliograph.public.presenter import (
    ICON_PATHS,
    LABELS,
    NO_DATA,
    PALETTES,
    contrast_ratio,
    favicon_svg,
    header_colours,
    palette_css,
)

THEMES = sorted(PALETTES)
STATES = [*[state.value for state in DisplayState], NO_DATA]


def test_contrast_ratio_known_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)


@pytest.mark.parametrize("theme", THEMES)
def test_palette_text_contrast(theme: str) -> None:
    palette = PALETTES[theme]

    for background in (palette.background, palette.surface):
        assert contrast_ratio(palette.text, background) >= 4.5
        assert contrast_ratio(palette.muted, background) >= 4.5
        assert contrast_ratio(palette.link, background) >= 4.5
        assert contrast_ratio(palette.focus, background) >= 3


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("state", STATES)
def test_palette_state_mark_contrast(theme: str, state: str) -> None:
    palette = PALETTES[theme]
    mark = palette.states[state].mark

    # Icons and day bars are graphics: 3:1 against every background they sit on.
    assert contrast_ratio(mark, palette.background) >= 3
    assert contrast_ratio(mark, palette.surface) >= 3


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("state", STATES)
def test_palette_banner_text_contrast(theme: str, state: str) -> None:
    colours = PALETTES[theme].states[state]

    assert contrast_ratio(colours.on_banner, colours.banner) >= 4.5


@pytest.mark.parametrize("theme", THEMES)
def test_palette_tooltip_contrast(theme: str) -> None:
    palette = PALETTES[theme]

    # Tooltips use the text colour as background and the page background as text.
    assert contrast_ratio(palette.background, palette.text) >= 4.5


def test_palette_rule_colours() -> None:
    light = PALETTES["light"].states

    assert light["degraded_performance"] == light["partial_outage"]
    assert len({light[key].mark for key in ("operational", "partial_outage", "major_outage",
                                              "under_maintenance")}) == 4


def test_palette_css_has_every_state() -> None:
    css = palette_css()

    for state in STATES:
        assert f"--{state}:" in css
        assert f"--{state}-banner:" in css
        assert f"--{state}-on:" in css


def test_icon_shapes_differ_per_state() -> None:
    shapes = [ICON_PATHS[state][0] for state in STATES]

    assert len(set(shapes)) == len(STATES)


def test_every_state_has_a_label() -> None:
    assert set(STATES) <= set(LABELS)


def test_favicon_is_standalone_svg() -> None:
    svg = favicon_svg(DisplayState.PARTIAL_OUTAGE)

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert PALETTES["light"].states["partial_outage"].mark in svg
    assert ICON_PATHS["partial_outage"][0] in svg


def test_header_colours_default_follow_theme(page: Page) -> None:
    assert header_colours(page) is None


def test_header_colours_custom_kept(page: Page, actor: Actor) -> None:
    pages.update_page(page, {"header_background": "#1F2A44", "header_text_color": "#F5F5F5"},
                      actor=actor)

    colours = header_colours(page)

    assert colours is not None
    assert (colours.background, colours.text) == ("#1f2a44", "#f5f5f5")


@pytest.mark.parametrize(("background", "text", "expected_text"), [
    ("#ffff00", "#eeeeee", "#000000"),
    ("#000080", "#333333", "#ffffff"),
])
def test_header_colours_low_contrast_replaced(
    page: Page, actor: Actor, background: str, text: str, expected_text: str
) -> None:
    pages.update_page(page, {"header_background": background, "header_text_color": text},
                      actor=actor)

    colours = header_colours(page)

    assert colours is not None
    assert colours.text == expected_text
    assert contrast_ratio(colours.text, colours.background) >= 4.5


def test_header_colours_ignore_malformed_values(make_page: Callable[..., Page]) -> None:
    page = make_page("odd", title="Odd")
    # Seven characters, the column's length, so that PostgreSQL stores it too.
    Page.objects.filter(pk=page.pk).update(header_background="red;}<s")
    page.refresh_from_db()

    assert header_colours(page) is None

"""A page's settings screen: who may change what, each section, the logo and deletion."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image, PngImagePlugin

from heliograph.domain import pages
from heliograph.domain.audit import Actor
from heliograph.domain.models import AuditEntry, Page
from tests.console.page_support import client_for, field_error, input_value, is_checked, text_of

pytestmark = pytest.mark.django_db

SETTINGS = reverse("console:settings", args=["acme"])
LOGO = reverse("console:logo-upload", args=["acme"])
LOGO_FILE = reverse("console:logo-file", args=["acme"])
DELETE = reverse("console:delete-page", args=["acme"])

GENERAL = {
    "section": "general", "general-title": "Acme Status", "general-default_status_message":
    "All good", "general-time_zone": "Europe/Zurich", "general-banner_color_rule": "worst",
    "general-theme": "dark", "general-language": "fr",
    "general-main_site_url": "https://www.acme.example", "general-support_email":
    "help@acme.example",
}


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


def reload(page: Page) -> Page:
    return Page.objects.get(pk=page.pk)


def png_bytes(width: int = 64, height: int = 32, **info: str) -> bytes:
    metadata = PngImagePlugin.PngInfo()
    for key, value in info.items():
        metadata.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 30, 30, 255)).save(out, "PNG", pnginfo=metadata)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """Return a PNG whose header claims `width` by `height` pixels, with one tiny data chunk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))


def upload(client: Client, name: str, content: bytes, content_type: str = "image/png") -> Any:
    return client.post(LOGO, {"logo": SimpleUploadedFile(name, content, content_type)})


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


# Access


def test_settings_form_for_owner(page: Page, owner: Any) -> None:
    response = client_for(owner).get(SETTINGS)

    assert response.status_code == 200
    assert input_value(response, "general-title") == "Acme"
    assert input_value(response, "address-slug") == "acme"


@pytest.mark.parametrize("persona", ["editor", "viewer"])
def test_settings_read_only_for_non_owners(page: Page, persona: str,
                                           request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(persona)

    response = client_for(user).get(SETTINGS)

    assert response.status_code == 200
    assert input_value(response, "general-title") is None
    assert f"Only owners change these settings; you are {persona}" in text_of(response)
    assert "Europe/Zurich" not in response.content.decode()


def test_settings_hidden_from_outsider(page: Page, outsider: Any) -> None:
    assert client_for(outsider).get(SETTINGS).status_code == 404


@pytest.mark.parametrize(("persona", "status"), [("editor", 403), ("viewer", 403),
                                                  ("outsider", 404)])
def test_settings_change_rejected_for_non_owners(
    page: Page, persona: str, status: int, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)

    response = client_for(user).post(SETTINGS, GENERAL)

    assert response.status_code == status
    assert reload(page).title == "Acme"


@pytest.mark.parametrize(("persona", "status"), [("editor", 403), ("viewer", 403),
                                                  ("outsider", 404)])
def test_logo_upload_rejected_for_non_owners(
    page: Page, persona: str, status: int, request: pytest.FixtureRequest, media_root: Path
) -> None:
    user = request.getfixturevalue(persona)

    response = upload(client_for(user), "logo.png", png_bytes())

    assert response.status_code == status
    assert not reload(page).logo
    assert stored_files(media_root) == []


@pytest.mark.parametrize(("persona", "status"), [("editor", 403), ("viewer", 403),
                                                  ("outsider", 404)])
def test_delete_rejected_for_non_owners(
    page: Page, persona: str, status: int, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)

    response = client_for(user).post(DELETE, {"confirm_slug": "acme"})

    assert response.status_code == status
    assert Page.objects.filter(slug="acme").exists()


def test_settings_post_needs_csrf_token(page: Page, owner: Any) -> None:
    response = client_for(owner, enforce_csrf=True).post(SETTINGS, GENERAL)

    assert response.status_code == 403
    assert reload(page).title == "Acme"


def test_logo_upload_needs_csrf_token(page: Page, owner: Any) -> None:
    response = upload(client_for(owner, enforce_csrf=True), "logo.png", png_bytes())

    assert response.status_code == 403
    assert not reload(page).logo


# General


def test_general_section_saves_every_field(page: Page, owner: Any) -> None:
    response = client_for(owner).post(SETTINGS, GENERAL)

    assert response.status_code == 302
    assert response["Location"] == f"{SETTINGS}#general"
    page = reload(page)
    assert page.title == "Acme Status"
    assert page.default_status_message == "All good"
    assert page.time_zone == "Europe/Zurich"
    assert page.banner_color_rule == "worst"
    assert page.theme == "dark"
    assert page.language == "fr"
    assert page.main_site_url == "https://www.acme.example"
    assert page.support_email == "help@acme.example"


def test_general_section_records_changes(page: Page, owner: Any) -> None:
    client_for(owner).post(SETTINGS, {**GENERAL, "general-title": "Acme Status"})

    entry = AuditEntry.objects.filter(page=page, action="page.update").get()
    assert entry.before["title"] == "Acme"
    assert entry.after["title"] == "Acme Status"
    assert entry.actor_label == "owner@example.com via console"


def test_general_section_bad_url_keeps_input(page: Page, owner: Any) -> None:
    response = client_for(owner).post(SETTINGS, {**GENERAL,
                                                 "general-main_site_url": "ftp://acme"})

    assert response.status_code == 422
    assert "not an http or https URL" in field_error(response, "id_general-main_site_url")
    assert input_value(response, "general-title") == "Acme Status"
    assert input_value(response, "general-main_site_url") == "ftp://acme"
    assert is_checked(response, "general-theme", "dark")
    assert reload(page).title == "Acme"


def test_general_section_bad_zone_names_field(page: Page, owner: Any) -> None:
    response = client_for(owner).post(SETTINGS, {**GENERAL, "general-time_zone": "Mars/Olympus"})

    assert response.status_code == 422
    assert "not an IANA time zone name" in field_error(response, "id_general-time_zone")
    assert input_value(response, "general-time_zone") == "Mars/Olympus"
    assert reload(page).time_zone == "UTC"


def test_general_section_names_every_bad_field(page: Page, owner: Any) -> None:
    response = client_for(owner).post(SETTINGS, {
        **GENERAL, "general-title": "", "general-time_zone": "Zurich",
        "general-main_site_url": "ftp://acme", "general-support_email": "help@",
    })

    assert response.status_code == 422
    assert field_error(response, "id_general-title") == "Give the page a title."
    assert "Europe/Zurich" in field_error(response, "id_general-time_zone")
    assert "not an http or https URL" in field_error(response, "id_general-main_site_url")
    assert "not an e-mail address" in field_error(response, "id_general-support_email")


def test_general_section_empty_title_rejected(page: Page, owner: Any) -> None:
    response = client_for(owner).post(SETTINGS, {**GENERAL, "general-title": "   "})

    assert response.status_code == 422
    assert field_error(response, "id_general-title") != ""
    assert reload(page).title == "Acme"


def test_unknown_section_rejected(page: Page, owner: Any) -> None:
    response = client_for(owner).post(SETTINGS, {"section": "everything"})

    assert response.status_code == 400


# Address


def test_slug_page_lists_what_breaks(page: Page, owner: Any) -> None:
    text = text_of(client_for(owner).get(SETTINGS))

    assert "Changing the slug breaks every address that contains it" in text
    assert "http://acme.localhost:8000/" in text
    assert "http://127.0.0.1:8000/p/acme/" in text
    assert "http://127.0.0.1:8000/api/v1/pages/acme" in text


def test_slug_change_needs_confirmation(page: Page, owner: Any) -> None:
    response = client_for(owner).post(SETTINGS, {"section": "address", "address-slug": "acme2",
                                                 "address-custom_domain": ""})

    assert response.status_code == 422
    assert "tick this box to confirm" in field_error(response, "id_address-confirm_slug_change")
    assert input_value(response, "address-slug") == "acme2"
    assert reload(page).slug == "acme"


def test_slug_change_with_confirmation(page: Page, owner: Any) -> None:
    client = client_for(owner)

    response = client.post(SETTINGS, {"section": "address", "address-slug": "acme2",
                                      "address-custom_domain": "",
                                      "address-confirm_slug_change": "on"})

    assert response.status_code == 302
    assert response["Location"] == reverse("console:settings", args=["acme2"]) + "#address"
    assert reload(page).slug == "acme2"
    assert client.get(SETTINGS).status_code == 404
    assert "Links to the old slug 'acme' no longer work" in text_of(client.get(
        response["Location"]))


def test_slug_change_to_taken_slug(page: Page, owner: Any, outsider: Any) -> None:
    response = client_for(owner).post(SETTINGS, {"section": "address", "address-slug": "other",
                                                 "address-custom_domain": "",
                                                 "address-confirm_slug_change": "on"})

    assert response.status_code == 422
    assert "already taken" in field_error(response, "id_address-slug")
    assert reload(page).slug == "acme"


def test_custom_domain_saved_lower_case(page: Page, owner: Any) -> None:
    client_for(owner).post(SETTINGS, {"section": "address", "address-slug": "acme",
                                      "address-custom_domain": "Status.Acme.Example"})

    assert reload(page).custom_domain == "status.acme.example"


def test_custom_domain_with_scheme_rejected(page: Page, owner: Any) -> None:
    response = client_for(owner).post(SETTINGS, {
        "section": "address", "address-slug": "acme",
        "address-custom_domain": "https://status.acme.example/",
    })

    assert response.status_code == 422
    assert "without scheme or path" in field_error(response, "id_address-custom_domain")
    assert reload(page).custom_domain is None


def test_custom_domain_of_other_page_rejected(page: Page, owner: Any, outsider: Any) -> None:
    other = Page.objects.get(slug="other")
    pages.update_page(other, {"custom_domain": "status.other.example"},
                      actor=Actor.of_user(outsider))

    response = client_for(owner).post(SETTINGS, {"section": "address", "address-slug": "acme",
                                                 "address-custom_domain": "status.other.example"})

    assert response.status_code == 422
    assert "used by another page" in field_error(response, "id_address-custom_domain")


# Header colours and features


def test_low_contrast_colours_saved_with_warning(page: Page, owner: Any) -> None:
    client = client_for(owner)

    response = client.post(SETTINGS, {"section": "look", "look-header_background": "#777777",
                                      "look-header_text_color": "#888888"}, follow=True)

    assert reload(page).header_background == "#777777"
    text = text_of(response)
    assert "contrast of 1.3:1, below the 4.5:1" in text
    assert "Hard to read" in text


def test_readable_colours_show_ratio(page: Page, owner: Any, actor: Actor) -> None:
    pages.update_page(page, {"header_background": "#003366", "header_text_color": "#ffffff"},
                      actor=actor)

    text = text_of(client_for(owner).get(SETTINGS))

    assert "Text contrast 12.6:1, readable" in text
    assert "Hard to read" not in text


def test_invalid_colour_names_field(page: Page, owner: Any) -> None:
    response = client_for(owner).post(SETTINGS, {"section": "look",
                                                 "look-header_background": "red",
                                                 "look-header_text_color": "#000000"})

    assert response.status_code == 422
    assert "six hexadecimal digits" in field_error(response, "id_look-header_background")


def test_features_switch_off_and_on(page: Page, owner: Any) -> None:
    client = client_for(owner)

    client.post(SETTINGS, {"section": "features", "features-auto_maintenance": "on",
                           "features-is_private": "on"})

    page = reload(page)
    assert page.subscriptions_enabled is False
    assert page.auto_maintenance is True
    assert page.is_private is True


# Logo


def test_logo_png_stored_and_served(page: Page, owner: Any, media_root: Path) -> None:
    client = client_for(owner)

    response = upload(client, "logo.png", png_bytes(Comment="secret location"))

    assert response.status_code == 302
    page = reload(page)
    assert page.logo.name.startswith(f"logos/{page.pk}-")
    assert page.logo.name.endswith(".png")
    served = client.get(LOGO_FILE)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert "sandbox" in served["Content-Security-Policy"]
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"secret location" not in served.content
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.size == (64, 32)


def test_logo_jpeg_stored_as_jpeg(page: Page, owner: Any) -> None:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (0, 90, 200)).save(out, "JPEG")

    upload(client_for(owner), "logo.jpeg", out.getvalue(), "image/jpeg")

    assert reload(page).logo.name.endswith(".jpg")


def test_logo_svg_sanitised(page: Page, owner: Any) -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" '
           b'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" viewBox="0 0 10 10">'
           b'<metadata><title>x</title></metadata>'
           b'<rect width="10" height="10" inkscape:label="box" fill="#123456"/></svg>')
    client = client_for(owner)

    assert upload(client, "logo.svg", svg, "image/svg+xml").status_code == 302

    served = client.get(LOGO_FILE)
    assert served["Content-Type"] == "image/svg+xml"
    assert served.content == (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
                              b'<rect width="10" height="10" fill="#123456"></rect></svg>')


HOSTILE_SVGS = {
    "script element": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "<script> element",
    ),
    "onload attribute": (
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
        "event-handler attribute (onload)",
    ),
    "external use href": (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<use xlink:href="https://evil.example/sprite.svg#a"/></svg>',
        "may only refer to parts of itself",
    ),
    "external image": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/>'
        b'</svg>',
        "embedded image",
    ),
    "external url in style": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://evil.example/'
        b'a)"/></svg>',
        "url()",
    ),
    "foreign object": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div xmlns="http://www.w3.org'
        b'/1999/xhtml">hi</div></foreignObject></svg>',
        "<foreignObject> element",
    ),
    "entity expansion": (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
        "DOCTYPE or ENTITY declaration",
    ),
    "javascript link": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a>'
        b'</svg>',
        "link (<a> element)",
    ),
}


@pytest.mark.parametrize("case", HOSTILE_SVGS, ids=list(HOSTILE_SVGS))
def test_logo_hostile_svg_rejected(page: Page, owner: Any, media_root: Path,
                                   case: str) -> None:
    content, reason = HOSTILE_SVGS[case]

    response = upload(client_for(owner), "logo.svg", content, "image/svg+xml")

    assert response.status_code == 422
    assert reason in field_error(response, "id_logo")
    assert "choose the file again" in text_of(response)
    assert not reload(page).logo
    assert stored_files(media_root) == []


def test_logo_html_named_png_rejected(page: Page, owner: Any, media_root: Path) -> None:
    content = b"<html><body><script>alert(document.cookie)</script></body></html>"

    response = upload(client_for(owner), "logo.png", content, "image/png")

    assert response.status_code == 422
    assert "not a PNG, JPEG or SVG image" in field_error(response, "id_logo")
    assert stored_files(media_root) == []


def test_logo_huge_dimensions_rejected(page: Page, owner: Any) -> None:
    response = upload(client_for(owner), "logo.png", png_bytes(3000, 100))

    assert response.status_code == 422
    assert "3000 by 100 pixels: the maximum is 2048 by 2048" in field_error(response, "id_logo")


def test_logo_pixel_bomb_rejected_before_decoding(page: Page, owner: Any) -> None:
    response = upload(client_for(owner), "logo.png", png_header_only(100_000, 100_000))

    assert response.status_code == 422
    assert "too many pixels" in field_error(response, "id_logo")


def test_logo_tiny_rejected(page: Page, owner: Any) -> None:
    response = upload(client_for(owner), "logo.png", png_bytes(8, 8))

    assert response.status_code == 422
    assert "the minimum is 16 by 16" in field_error(response, "id_logo")


def test_logo_oversize_file_rejected(page: Page, owner: Any) -> None:
    content = png_bytes() + b"\x00" * (600 * 1024)

    response = upload(client_for(owner), "logo.png", content)

    assert response.status_code == 422
    assert "the maximum is 512 KB" in field_error(response, "id_logo")


def test_logo_truncated_png_rejected(page: Page, owner: Any) -> None:
    response = upload(client_for(owner), "logo.png", png_bytes()[:60])

    assert response.status_code == 422
    assert "damaged or truncated" in field_error(response, "id_logo")


def test_logo_replacement_deletes_old_file(page: Page, owner: Any, media_root: Path) -> None:
    client = client_for(owner)
    upload(client, "one.png", png_bytes())
    first = reload(page).logo.name

    upload(client, "two.png", png_bytes(32, 32))

    second = reload(page).logo.name
    assert second != first
    assert [path.name for path in stored_files(media_root)] == [Path(second).name]


def test_logo_removal(page: Page, owner: Any, media_root: Path) -> None:
    client = client_for(owner)
    upload(client, "one.png", png_bytes())

    response = client.post(reverse("console:logo-remove", args=["acme"]))

    assert response.status_code == 302
    assert not reload(page).logo
    assert stored_files(media_root) == []
    assert client.get(LOGO_FILE).status_code == 404
    actions = list(AuditEntry.objects.filter(page=page, action="page.logo")
                   .values_list("after__logo", flat=True))
    assert actions[0] is None
    assert actions[1].startswith("logos/")


def test_logo_file_hidden_from_outsider(page: Page, owner: Any, outsider: Any) -> None:
    upload(client_for(owner), "one.png", png_bytes())

    assert client_for(outsider).get(LOGO_FILE).status_code == 404


# Deletion


def test_delete_page_needs_typed_slug(page: Page, owner: Any) -> None:
    response = client_for(owner).post(DELETE, {"confirm_slug": "acm"})

    assert response.status_code == 422
    assert "type acme exactly" in field_error(response, "id_confirm_slug")
    assert input_value(response, "confirm_slug") == "acm"
    assert Page.objects.filter(slug="acme").exists()


def test_delete_page_with_typed_slug(page: Page, owner: Any, media_root: Path) -> None:
    client = client_for(owner)
    upload(client, "one.png", png_bytes())

    response = client.post(DELETE, {"confirm_slug": "acme"})

    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")
    assert not Page.objects.filter(slug="acme").exists()
    assert stored_files(media_root) == []


def test_delete_screen_counts_what_goes(page: Page, owner: Any, editor: Any) -> None:
    text = text_of(client_for(owner).get(DELETE))

    assert "0 services, 0 incidents and 0 maintenances" in text
    assert "its 2 members" in text


def test_logo_svg_huge_dimensions_rejected(page: Page, owner: Any) -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000" '
           b'viewBox="0 0 10 10"><rect width="10" height="10"/></svg>')
    client = client_for(owner)

    response = upload(client, "logo.svg", svg, "image/svg+xml")

    assert response.status_code == 422
    assert "at most 2048 pixels" in response.content.decode()
    assert not reload(page).logo

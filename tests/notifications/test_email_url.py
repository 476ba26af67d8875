"""EMAIL_URL and HELIOGRAPH_FROM_EMAIL, read from the environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from heliograph.lib.email_url import SmtpServer, parse_email_url

ADMIN = Path(sys.executable).with_name("heliograph-admin")


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.example.com", SmtpServer("mail.example.com", 25, "", "", False, False, 30)),
    ("smtp://u:p@mail.example.com:2525",
     SmtpServer("mail.example.com", 2525, "u", "p", False, False, 30)),
    ("smtp://u:p@mail.example.com?tls=true",
     SmtpServer("mail.example.com", 587, "u", "p", True, False, 30)),
    ("smtps://u:p@mail.example.com", SmtpServer("mail.example.com", 465, "u", "p", False, True,
                                                 30)),
    ("smtp://me%40example.com:p%3Aw%2Fd%40x@mail.example.com:587?tls=1&timeout=5",
     SmtpServer("mail.example.com", 587, "me@example.com", "p:w/d@x", True, False, 5)),
    ("smtp://[::1]:25", SmtpServer("::1", 25, "", "", False, False, 30)),
])
def test_valid_urls(url: str, expected: SmtpServer) -> None:
    assert parse_email_url(url) == expected


@pytest.mark.parametrize(("url", "message"), [
    ("http://mail.example.com", "is not a valid e-mail URL: expected smtp://"),
    ("smtp://u:secret@mail.example.com:99999", "has an invalid port"),
    ("smtp://u:secret@:25", "has no host name"),
    ("smtp://mail.example.com?tls=maybe", "has tls='maybe': use tls=true or tls=false"),
    ("smtp://mail.example.com?ssl=true", "has an unknown option 'ssl'"),
    ("smtps://mail.example.com?tls=true", "asks for both smtps:// and ?tls=true"),
    ("smtp://mail.example.com?timeout=0", "give whole seconds from 1 to 600"),
])
def test_invalid_urls_name_variable(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        parse_email_url(url)

    text = str(raised.value)
    assert text.startswith("EMAIL_URL=")
    assert message in text
    assert "secret" not in text
    assert "\n" not in text


def test_bad_url_stops_admin(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(ADMIN), "check"], capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HELIOGRAPH_DATA_DIR": str(tmp_path),
             "EMAIL_URL": "smtp://ops:hunter2@mail.example.com:port"},
    )

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "heliograph-admin: configuration error: EMAIL_URL='smtp://ops:***@mail.example.com:port'"
        " has an invalid port: give a number from 1 to 65535."
    )


def test_bad_from_address_stops_admin(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(ADMIN), "check"], capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HELIOGRAPH_DATA_DIR": str(tmp_path),
             "HELIOGRAPH_FROM_EMAIL": "status page"},
    )

    assert result.returncode == 1
    assert "HELIOGRAPH_FROM_EMAIL='status page' is not a valid e-mail address" in result.stderr


def test_url_sets_django_settings(tmp_path: Path) -> None:
    code = ("from django.conf import settings as s; print(s.EMAIL_HOST, s.EMAIL_PORT, "
            "s.EMAIL_HOST_USER, s.EMAIL_USE_SSL, s.EMAIL_TIMEOUT, s.HELIOGRAPH_FROM_EMAIL)")
    result = subprocess.run(
        [str(ADMIN), "shell", "--command", code], capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HELIOGRAPH_DATA_DIR": str(tmp_path),
             "EMAIL_URL": "smtps://ops%40acme.test:pw@smtp.acme.test",
             "HELIOGRAPH_FROM_EMAIL": "status@acme.test"},
    )

    assert result.returncode == 0, result.stderr
    # The last line is the print; Django's shell may write a line about its imports first.
    assert result.stdout.strip().splitlines()[-1].split() == [
        "smtp.acme.test", "465", "ops@acme.test", "True", "30", "status@acme.test",
    ]

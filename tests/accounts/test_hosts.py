"""Account views exist on the main host only."""

from __future__ import annotations

import pytest
from django.test import Client

from heliograph.domain.models import Page

PATHS = [
    "/accounts/", "/accounts/signup/", "/accounts/signup/sent/", "/accounts/verify/resend/",
    "/accounts/verify/resend/sent/", "/accounts/verify/abc/", "/accounts/login/",
    "/accounts/login/code/", "/accounts/logout/", "/accounts/password/",
    "/accounts/password/reset/", "/accounts/password/reset/sent/",
    "/accounts/password/reset/done/", "/accounts/password/reset/MQ/abc-def/",
    "/accounts/two-factor/enable/", "/accounts/two-factor/disable/",
    "/accounts/two-factor/recovery-codes/",
]


@pytest.mark.parametrize("path", PATHS)
def test_account_path_404_on_page_host(page: Page, path: str) -> None:
    assert Client().get(path, HTTP_HOST="acme.localhost").status_code == 404


@pytest.mark.parametrize("path", PATHS)
def test_account_path_404_on_page_host_post(page: Page, path: str) -> None:
    assert Client().post(path, {}, HTTP_HOST="acme.localhost").status_code == 404


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/"])
def test_account_path_served_on_main_host(db: None, path: str) -> None:
    assert Client().get(path, HTTP_HOST="localhost").status_code == 200

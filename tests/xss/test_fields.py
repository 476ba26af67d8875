"""Every text field of the models is either fed hostile text or named as not user-set."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from tests.xss.corpus import APPS, FIELDS, NOT_USER_TEXT


def text_fields() -> set[str]:
    """Return `app.Model.field` for each CharField, TextField and FileField of `APPS`.

    URLField and EmailField are CharFields, so they are included.
    """
    found = set()
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            for model_field in model._meta.get_fields():
                if isinstance(model_field, models.CharField | models.TextField | models.FileField):
                    found.add(f"{label}.{model.__name__}.{model_field.name}")
    return found


def test_every_text_field_classified() -> None:
    fed = {text_field.key for text_field in FIELDS}
    unclassified = sorted(text_fields() - fed - set(NOT_USER_TEXT))
    assert unclassified == [], (
        "add these fields to FIELDS in tests/xss/corpus.py (with the call that sets them) or "
        "to NOT_USER_TEXT (with the reason no user sets them)")


def test_classified_fields_exist() -> None:
    stale = sorted(({text_field.key for text_field in FIELDS} | set(NOT_USER_TEXT))
                    - text_fields())
    assert stale == []


def test_no_field_in_both_tables() -> None:
    both = sorted({text_field.key for text_field in FIELDS} & set(NOT_USER_TEXT))
    assert both == []

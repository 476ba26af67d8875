"""Forms of the account flows.

Password fields are never sent back to the browser: after an error the user types the
password again, while every other field keeps what was typed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.contrib.auth.forms import SetPasswordForm as DjangoSetPasswordForm
from django.urls import reverse
from django.utils import timezone

from heliograph.accounts import mail, two_factor
from heliograph.accounts.models import User


def email_field() -> forms.EmailField:
    return forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        error_messages={
            "required": "Enter your e-mail address.",
            "invalid": "Enter a valid e-mail address, such as alice@example.com.",
        },
    )


def password_field(label: str, autocomplete: str, *, required: bool = True,
                   help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        required=required,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
        error_messages={"required": f"Enter your {label[0].lower()}{label[1:]}."},
    )


def code_field(label: str, help_text: str, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=40,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false",
            "autocapitalize": "off",
        }),
        error_messages={"required": "Enter the code."},
    )


def normalised_email(value: str) -> str:
    return User.objects.normalize_email(value.strip()).lower()


class SignUpForm(forms.Form):
    email = email_field()
    password = password_field(
        "Password", "new-password",
        help_text=password_validation.password_validators_help_text_html(),
    )
    password_confirm = password_field("Password again", "new-password")
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_email(self) -> str:
        return normalised_email(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        confirm = cleaned.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", "The two passwords differ: type the same "
                                               "password in both fields.")
        if password:
            candidate = User(email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(password, user=candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class LoginForm(forms.Form):
    email = email_field()
    password = password_field("Password", "current-password")
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_email(self) -> str:
        return normalised_email(self.cleaned_data["email"])


class LoginCodeForm(forms.Form):
    code = code_field(
        "Code",
        "The 6-digit code from your authenticator app, or one of your recovery codes.",
    )
    code.widget.attrs["autofocus"] = True


class VerifyForm(forms.Form):
    password = password_field("Password", "current-password")
    password.widget.attrs["autofocus"] = True


class EmailForm(forms.Form):
    email = email_field()

    def clean_email(self) -> str:
        return normalised_email(self.cleaned_data["email"])


class EnableTwoFactorForm(forms.Form):
    code = code_field("Code from the app", "The 6 digits your authenticator app shows now.")


class ReauthenticateForm(forms.Form):
    """Proof that the person at the keyboard is the user: the password or a current code."""

    password = password_field("Password", "current-password", required=False)
    code = code_field("Or a code from your authenticator app",
                      "6 digits from the app, or an unused recovery code.", required=False)

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # Set when a password or code was given and was wrong, so the view can count it
        # against the login limits.
        self.credentials_rejected = False
        # A login limit that stopped the check, shown above the form.
        self.limit_error = ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        code = cleaned.get("code")
        if not password and not code:
            self.add_error("password", "Enter your password, or a code in the field below.")
        elif password:
            if not self.user.check_password(password):
                self.credentials_rejected = True
                self.add_error("password", "This password is incorrect.")
        elif not two_factor.check_code(self.user, code or "").accepted:
            self.credentials_rejected = True
            self.add_error("code", "This code is incorrect or was already used. Wait for "
                                   "the app to show a new one.")
        return cleaned


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form, sending through `mail.send_account_mail` with its limits."""

    email = email_field()

    def send_mail(self, subject_template_name: str, email_template_name: str,
                  context: dict[str, Any], from_email: str | None, to_email: str,
                  html_email_template_name: str | None = None) -> None:
        link = mail.absolute_url(_reset_path(context["uid"], context["token"]))
        mail.send_account_mail("password_reset", context["user"], {"link": link})


class SetPasswordForm(DjangoSetPasswordForm):  # type: ignore[type-arg]
    """Django's form, which also marks the address verified: the reset link proved it."""

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=False)
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
        if commit:
            user.save()
        return user


def _reset_path(uid: str, token: str) -> str:
    return reverse("accounts:password-reset-confirm", kwargs={"uidb64": uid, "token": token})

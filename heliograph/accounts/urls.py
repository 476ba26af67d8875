"""Accounts, on the main host under /accounts/. On a page's host every view returns 404."""

from django.urls import path

from heliograph.accounts.views import account, login, password, signup, two_factor

app_name = "accounts"
urlpatterns = [
    path("", account.account_view, name="account"),
    path("signup/", signup.signup_view, name="signup"),
    path("signup/sent/", signup.signup_sent_view, name="signup-sent"),
    path("verify/resend/", signup.resend_view, name="verify-resend"),
    path("verify/resend/sent/", signup.resend_sent_view, name="verify-resend-sent"),
    path("verify/<str:token>/", signup.verify_view, name="verify"),
    path("login/", login.login_view, name="login"),
    path("login/code/", login.login_code_view, name="login-code"),
    path("logout/", login.logout_view, name="logout"),
    path("password/", password.password_change, name="password-change"),
    path("password/reset/", password.password_reset, name="password-reset"),
    path("password/reset/sent/", password.password_reset_sent, name="password-reset-sent"),
    path("password/reset/done/", password.password_reset_complete,
         name="password-reset-complete"),
    path("password/reset/<uidb64>/<token>/", password.password_reset_confirm,
         name="password-reset-confirm"),
    path("two-factor/enable/", two_factor.enable_view, name="two-factor-enable"),
    path("two-factor/disable/", two_factor.disable_view, name="two-factor-disable"),
    path("two-factor/recovery-codes/", two_factor.recovery_codes_view,
         name="two-factor-recovery"),
]

"""The console screen that links a page's X and Mastodon accounts.

Every member who can edit sees which accounts are linked; only owners link and unlink. An owner
links through the network's authorisation page (`heliograph.social.oauth`), or pastes tokens
made on X's developer portal or on the Mastodon instance.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from heliograph.console.access import actor_of, can, console_view, member_page
from heliograph.domain.errors import DomainError
from heliograph.domain.models import Page, Role
from heliograph.notifications import post_text
from heliograph.social import linking, oauth
from heliograph.social.composer import POST_TEXT_MAX
from heliograph.social.forms import MastodonLinkForm, MastodonStartForm, ReminderForm, XLinkForm
from heliograph.social.models import Network, SocialAccount
from heliograph.social.proposals import network_rules

# The maximum text length the count endpoint accepts: the longest text the composer accepts.
COUNT_TEXT_MAX = POST_TEXT_MAX


def _screen(request: HttpRequest, page: Page, role: Role, *, x_form: XLinkForm | None = None,
            mastodon_form: MastodonLinkForm | None = None, error: str = "",
            mastodon_start_form: MastodonStartForm | None = None,
            reminder_form: ReminderForm | None = None, status: int = 200) -> HttpResponse:
    accounts = {account.network: account for account in SocialAccount.objects.filter(page=page)}
    reminder_forms = {
        network: ReminderForm(prefix=f"{network}-reminder",
                              initial={"minutes": account.reminder_minutes})
        for network, account in accounts.items()
    }
    if reminder_form is not None and reminder_form.prefix:
        reminder_forms[reminder_form.prefix.removesuffix("-reminder")] = reminder_form
    return render(request, "social/accounts.html", {
        "x_reminder_form": reminder_forms.get(Network.X),
        "mastodon_reminder_form": reminder_forms.get(Network.MASTODON),
        "page": page,
        "role": role,
        "section": "social",
        "x_account": accounts.get(Network.X),
        "mastodon_account": accounts.get(Network.MASTODON),
        "can_link": can(role, Role.OWNER),
        "x_form": x_form or XLinkForm(prefix="x"),
        "mastodon_form": mastodon_form or MastodonLinkForm(prefix="mastodon"),
        "mastodon_start_form": mastodon_start_form or MastodonStartForm(prefix="mastodon-oauth"),
        "x_callback_url": oauth.callback_url(Network.X),
        "error": error,
    }, status=status)


@require_http_methods(["GET"])
@console_view
def accounts(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.EDITOR)
    return _screen(request, page, role)


def _attach(form: forms.Form, error: DomainError) -> None:
    form.add_error(error.field, error.message)


@require_POST
@console_view
def start_x(request: HttpRequest, slug: str) -> HttpResponse:
    """Send the owner to X's authorisation page; X returns them to `x_callback`."""
    page, role = member_page(request, slug, need=Role.OWNER)
    try:
        url = oauth.start_x(request.session, page, _user_id(request))
    except DomainError as error:
        return _screen(request, page, role, error=error.message, status=error.http_status)
    return _continue(request, page, role, Network.X, url)


@require_POST
@console_view
def start_mastodon(request: HttpRequest, slug: str) -> HttpResponse:
    """Send the owner to the instance's authorisation page; it returns them to the callback."""
    page, role = member_page(request, slug, need=Role.OWNER)
    form = MastodonStartForm(request.POST, prefix="mastodon-oauth")
    if form.is_valid():
        try:
            url = oauth.start_mastodon(request.session, page, _user_id(request),
                                       form.cleaned_data["instance_url"])
        except DomainError as error:
            if error.field != "instance_url":
                return _screen(request, page, role, error=error.message,
                               status=error.http_status)
            _attach(form, error)
        else:
            return _continue(request, page, role, Network.MASTODON, url)
    return _screen(request, page, role, mastodon_start_form=form, status=422)


def _continue(request: HttpRequest, page: Page, role: Role, network: Network,
              authorize_url: str) -> HttpResponse:
    """Send the owner on to the network's authorise URL with a refresh and a link.

    A redirect in response to the form would be blocked by the policy's `form-action 'self'`,
    which Chromium applies to each redirect that follows a form submission.
    """
    response = render(request, "social/continue.html", {
        "page": page, "role": role, "section": "social", "network": network.label,
        "authorize_url": authorize_url,
    })
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@console_view
def x_callback(request: HttpRequest) -> HttpResponse:
    return _callback(request, Network.X)


@require_GET
@console_view
def mastodon_callback(request: HttpRequest) -> HttpResponse:
    return _callback(request, Network.MASTODON)


def _user_id(request: HttpRequest) -> int:
    user_id = request.user.pk
    assert user_id is not None, "console views serve signed-in users only"
    return int(user_id)


def _callback(request: HttpRequest, network: Network) -> HttpResponse:
    """Finish the link started from this session, or show why the callback is rejected."""
    label = network.label
    pending = oauth.pending(request.session, network)
    if pending is None:
        messages.error(request, f"No {label} link was started from this browser, or it was "
                                "already completed, so the callback was rejected.")
        return HttpResponseRedirect(reverse("console:home"))
    slug = Page.objects.filter(pk=pending.page_id).values_list("slug", flat=True).first()
    if slug is None:
        request.session.pop(oauth.SESSION_KEY.format(network=network), None)
        raise Http404
    page, role = member_page(request, slug, need=Role.OWNER)
    finish = oauth.finish_x if network == Network.X else oauth.finish_mastodon
    query = {name: request.GET.get(name, "") for name in request.GET}
    try:
        account = finish(request.session, page, _user_id(request), query, actor_of(request))
    except DomainError as error:
        return _screen(request, page, role, error=error.message, status=error.http_status)
    name = f" {account.handle}" if account.handle else ""
    messages.success(request, f"The {label} account{name} is linked.")
    return HttpResponseRedirect(reverse("console:social", args=[page.slug]))


@require_POST
@console_view
def link_x(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.OWNER)
    # Both forms are on one screen, so their field names and ids carry a prefix.
    form = XLinkForm(request.POST, prefix="x")

    def link() -> None:
        linking.link_x(page, handle=form.cleaned_data["handle"],
                       token=form.cleaned_data["token"],
                       secret=form.cleaned_data["secret"], actor=actor_of(request))

    return _link_pasted(request, page, role, form, link, "X")


@require_POST
@console_view
def link_mastodon(request: HttpRequest, slug: str) -> HttpResponse:
    page, role = member_page(request, slug, need=Role.OWNER)
    form = MastodonLinkForm(request.POST, prefix="mastodon")

    def link() -> None:
        linking.link_mastodon(page, instance_url=form.cleaned_data["instance_url"],
                              handle=form.cleaned_data["handle"],
                              token=form.cleaned_data["token"],
                              max_characters=form.cleaned_data["max_characters"],
                              actor=actor_of(request))

    return _link_pasted(request, page, role, form, link, "Mastodon")


def _link_pasted(request: HttpRequest, page: Page, role: Role,
                 form: XLinkForm | MastodonLinkForm, link: Callable[[], None],
                 label: str) -> HttpResponse:
    """Link the account that `form` describes with `link`, or show the form with its errors."""
    if form.is_valid():
        try:
            link()
        except DomainError as error:
            if error.field not in form.fields:
                # The account was linked meanwhile, so the form is no longer shown.
                return _screen(request, page, role, error=error.message,
                               status=error.http_status)
            _attach(form, error)
        else:
            messages.success(request, f"The {label} account is linked.")
            return HttpResponseRedirect(reverse("console:social", args=[page.slug]))
    if isinstance(form, XLinkForm):
        return _screen(request, page, role, x_form=form, status=422)
    return _screen(request, page, role, mastodon_form=form, status=422)


@require_POST
@console_view
def unlink(request: HttpRequest, slug: str, network: str) -> HttpResponse:
    page, _role = member_page(request, slug, need=Role.OWNER)
    account = get_object_or_404(SocialAccount, page=page, network=network)
    linking.unlink(account, actor=actor_of(request))
    messages.success(request, f"The {Network(network).label} account is unlinked.")
    return HttpResponseRedirect(reverse("console:social", args=[page.slug]))


@require_POST
@console_view
def count(request: HttpRequest, slug: str) -> HttpResponse:
    """Return the length of the posted `text` as the linked `network` account counts it.

    The composer's script calls it as the editor types; the form is counted again on submit.
    """
    page, _role = member_page(request, slug, need=Role.EDITOR)
    network = request.POST.get("network", "")
    if network not in Network.values:
        return JsonResponse({"error": f"network {network[:40]!r} is not valid: use "
                                      f"{' or '.join(Network.values)}."}, status=400)
    account = SocialAccount.objects.filter(page=page, network=network).first()
    if account is None:
        return JsonResponse({"error": f"No {network!r} account is linked to this page."},
                            status=404)
    text = request.POST.get("text", "").replace("\r\n", "\n")
    if len(text) > COUNT_TEXT_MAX:
        return JsonResponse({"error": f"The text is longer than {COUNT_TEXT_MAX:,} characters: "
                                      "shorten it to see its count."}, status=400)
    rules = network_rules(account)
    response = JsonResponse({"count": post_text.count(text, rules), "limit": rules.limit})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@console_view
def set_reminder(request: HttpRequest, slug: str, network: str) -> HttpResponse:
    """Set or clear the minutes before a maintenance at which the account posts a reminder."""
    page, role = member_page(request, slug, need=Role.OWNER)
    account = get_object_or_404(SocialAccount, page=page, network=network)
    form = ReminderForm(request.POST, prefix=f"{network}-reminder")
    if not form.is_valid():
        return _screen(request, page, role, reminder_form=form, status=422)
    account.reminder_minutes = form.cleaned_data["minutes"]
    account.save(update_fields=["reminder_minutes"])
    label = Network(network).label
    if account.reminder_minutes:
        messages.success(request, f"The {label} account posts a reminder "
                                  f"{account.reminder_minutes} minutes before each maintenance.")
    else:
        messages.success(request, f"The {label} account posts no maintenance reminder.")
    return HttpResponseRedirect(reverse("console:social", args=[page.slug]))

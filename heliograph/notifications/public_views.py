"""The public page's subscription screens: subscribe, confirm, manage and unsubscribe.

The links in subscription e-mails carry the subscriber's secret token, which is the only
credential these screens need. Every form posts with a CSRF token, except the unsubscribe
POST: mail clients send it with no cookie for one-click unsubscribe (RFC 8058).

The screens are in the page's language, like the rest of the public page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from heliograph.accounts import ratelimit
from heliograph.domain.errors import DomainError
from heliograph.notifications import subscribers
from heliograph.notifications.forms import ServicesForm, SubscribeForm
from heliograph.notifications.models import Subscriber
from heliograph.public.routing import PageRoute, resolve_route
from heliograph.public.views import not_found, page_context

View = Callable[..., HttpResponse]


def subscription_view(view: View) -> View:
    """Route the request to its page like the other public views, but accept GET and POST.

    The other public views only read, so they respond to POST with 405 and skip the CSRF check.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, slug: str | None = None,
                **kwargs: Any) -> HttpResponse:
        try:
            route = resolve_route(request, slug)
        except Http404:
            return not_found(request, None)
        if route is None:
            return not_found(request, None)
        try:
            with translation.override(route.page.language):
                response = view(request, route, *args, **kwargs)
        except Http404 as error:
            return not_found(request, route, str(error.args[0]) if error.args else "")
        response.setdefault("Content-Language", route.page.language)
        return response

    return require_http_methods(["GET", "HEAD", "POST"])(wrapper)


SENT_LINES = [
    gettext_lazy("If this address can receive e-mail, a message is on its way to it with a link "
                 "to confirm the subscription, or to manage it if the address already "
                 "subscribes."),
    gettext_lazy("Nothing is sent about incidents until the link is followed."),
]


@subscription_view
def subscribe(request: HttpRequest, route: PageRoute) -> HttpResponse:
    page = route.page
    if not page.subscriptions_enabled:
        raise Http404(gettext("This page does not take subscriptions."))
    if request.method != "POST":
        return _screen(request, route, gettext("Get updates by e-mail"),
                       form=SubscribeForm(page), action=route.url("subscribe"),
                       button=gettext("Subscribe"))
    client = ratelimit.client_address(request)
    block = ratelimit.blocked(subscribers.REQUESTS_PER_CLIENT, client)
    if block is not None:
        minutes = -(-block.seconds_left() // 60)
        return _screen(request, route, gettext("Too many requests"), status=429, lines=[
            ngettext("Your network sent too many subscription requests. Try again in "
                     "%(minutes)d minute.",
                     "Your network sent too many subscription requests. Try again in "
                     "%(minutes)d minutes.", minutes) % {"minutes": minutes},
        ])
    ratelimit.record(subscribers.REQUESTS_PER_CLIENT, client)
    form = SubscribeForm(page, request.POST)
    if form.is_valid():
        try:
            subscribers.request_subscription(page, email=form.cleaned_data["email"],
                                             services=form.chosen_services())
        except DomainError as error:
            form.add_error(_field(error), error.message)
    if not form.is_valid():
        return _screen(request, route, gettext("Get updates by e-mail"), form=form, status=422,
                       action=route.url("subscribe"), button=gettext("Subscribe"))
    return _screen(request, route, gettext("Check your inbox"), lines=SENT_LINES)


@subscription_view
def confirm(request: HttpRequest, route: PageRoute, token: str) -> HttpResponse:
    """Show a button that confirms; a GET alone never confirms, so link scanners cannot."""
    subscriber = _subscriber(route, token)
    if request.method != "POST" and subscriber.confirmed_at is None:
        return _screen(request, route, gettext("Confirm your subscription"),
                       button=gettext("Confirm"),
                       action=route.url("subscription", token, "confirm"), lines=[
                           gettext("Send e-mail about %(page)s status to %(email)s?")
                           % {"page": route.page.title, "email": subscriber.email},
                       ])
    if request.method == "POST":
        subscribers.confirm(subscriber)
    return _screen(request, route, gettext("Subscription confirmed"), lines=[
        gettext("%(email)s now receives e-mail about %(page)s status.")
        % {"email": subscriber.email, "page": route.page.title},
        gettext("Every message has a link to change which services you hear about, or to "
                "unsubscribe."),
    ])


@subscription_view
def manage(request: HttpRequest, route: PageRoute, token: str) -> HttpResponse:
    subscriber = _subscriber(route, token)
    saved = False
    if request.method == "POST":
        form = ServicesForm(route.page, request.POST)
        if form.is_valid():
            try:
                subscribers.change_services(subscriber, form.chosen_services())
                saved = True
            except DomainError as error:
                form.add_error(_field(error), error.message)
    else:
        form = ServicesForm(route.page, initial={
            "scope": "all" if subscriber.all_services else "chosen",
            "services": list(subscriber.services.values_list("pk", flat=True)),
        })
    lines = [gettext("Choose what %(email)s hears about.") % {"email": subscriber.email}]
    if saved:
        lines.insert(0, gettext("Your choice is saved."))
    if subscriber.confirmed_at is None:
        subscribers.confirm(subscriber)
    return _screen(request, route, gettext("Your subscription"), form=form, lines=lines,
                   status=200 if form.is_valid() or request.method != "POST" else 422,
                   action=route.url("subscription", token), button=gettext("Save"),
                   unsubscribe_url=route.url("subscription", token, "unsubscribe"))


@csrf_exempt
@subscription_view
def unsubscribe(request: HttpRequest, route: PageRoute, token: str) -> HttpResponse:
    """Show a confirmation button on GET, and unsubscribe on POST (the button or one-click).

    A POST with a token that matches no subscriber also responds "unsubscribed", because a
    mail client may send the one-click request twice.
    """
    found = Subscriber.objects.filter(page=route.page, token=token).first()
    if request.method != "POST":
        if found is None:
            raise Http404(gettext("This unsubscribe link is not valid any more."))
        return _screen(request, route, gettext("Unsubscribe"), button=gettext("Unsubscribe"),
                       action=route.url("subscription", token, "unsubscribe"), lines=[
                           gettext("Stop sending e-mail about %(page)s status to %(email)s?")
                           % {"page": route.page.title, "email": found.email},
                       ])
    if found is not None:
        subscribers.unsubscribe(found)
    return _screen(request, route, gettext("Unsubscribed"), lines=[
        gettext("This address receives no more e-mail about %(page)s status.")
        % {"page": route.page.title},
    ])


def _subscriber(route: PageRoute, token: str) -> Subscriber:
    subscriber = Subscriber.objects.select_related("page").filter(page=route.page,
                                                                  token=token).first()
    if subscriber is None:
        raise Http404(gettext("This subscription link is not valid any more: subscribe again."))
    return subscriber


def _field(error: DomainError) -> str | None:
    return error.field if error.field in {"email", "services"} else None


def _screen(request: HttpRequest, route: PageRoute, heading: str, *, status: int = 200,
            **context: Any) -> HttpResponse:
    response = render(request, "notifications/subscription_page.html",
                      page_context(route, timezone.now()) | {"heading": heading} | context,
                      status=status)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response

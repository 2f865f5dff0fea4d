from email.utils import formataddr, parseaddr

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import get_next_redirect_url
from allauth.core import context as allauth_context
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language


def _area_of(request):
    """The shopping area of the request's host (areas middleware), or None (the platform's own host, no request)."""
    area = getattr(request, "area", None)
    return area if area else None


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.preferred_language = (get_language() or "nl")[:2]
        if commit:
            user.save()
        return user

    def get_login_redirect_url(self, request):
        """Home in the language the person logged in in: "/" alone would pick the browser's language instead, so a
        shopper who logged in on the Dutch pages with a phone set to English would land on the English site."""
        url = super().get_login_redirect_url(request)
        return f"/{get_language()}/" if url == "/" else url

    # --- E-mails: sent in the name of the area whose site the person is on ---------------------------------------

    def send_mail(self, template_prefix, email, context):
        """allauth's templates say "Hello from {{ current_site.name }}!": without django.contrib.sites that was the
        host name. On an area's site it is the area's name (the domain stays the host the person used)."""
        area = _area_of(allauth_context.request)
        if area is not None and "current_site" not in context:
            request = allauth_context.request
            context = {**context, "current_site": _AreaSite(name=area.name, domain=request.get_host())}
        super().send_mail(template_prefix, email, context)

    def format_email_subject(self, subject):
        area = _area_of(allauth_context.request)
        if area is None:
            return super().format_email_subject(subject)
        return f"[{area.name}] {subject}"

    def get_from_email(self):
        """The platform's sending address, under the area's name ("Binnenstad Amersfoort <noreply@…>")."""
        from_email = super().get_from_email()
        area = _area_of(allauth_context.request)
        if area is None:
            return from_email
        return formataddr((area.name, parseaddr(from_email)[1]))

    def get_email_confirmation_url(self, request, emailconfirmation):
        """The link carries the page the person was going to (`next`, checked by allauth as on every login).

        Confirmed in the browser they signed up in, allauth logs them in and goes there itself. A link opened in
        another browser (a mail app's) does not log anyone in, on purpose: a link in a mailbox must not be a login.
        There the confirmation page sends them to the login, and the login on to that page.
        """
        url = super().get_email_confirmation_url(request, emailconfirmation)
        next_url = get_next_redirect_url(request) if request is not None else None
        if not next_url:
            return url
        login_then_next = f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"
        return f"{url}?{urlencode({REDIRECT_FIELD_NAME: login_then_next})}"


class _AreaSite:
    """What allauth's e-mail templates read of `current_site`."""

    def __init__(self, *, name: str, domain: str):
        self.name = name
        self.domain = domain

    def __str__(self) -> str:
        return self.name

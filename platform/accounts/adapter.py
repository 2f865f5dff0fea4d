from allauth.account.adapter import DefaultAccountAdapter
from django.utils.translation import get_language


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

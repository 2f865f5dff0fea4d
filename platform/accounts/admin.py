"""The Django admin for accounts, and the scoping every Agora admin class shares.

The admin is for platform admins (only they get `is_staff`), but it asks the same permission helper as the
views and the API, so a person who somehow reached it would still see only their own scope.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from agora.exceptions import ApplicationError
from privacy.models import AuditAction
from privacy.services import log_access

from .permissions import can, is_platform_admin, visible

User = get_user_model()


class ScopedModelAdmin(admin.ModelAdmin):
    """Admin permissions from accounts.permissions instead of Django's model permissions.

    `view_action` narrows the list and guards each object; `change_action` guards edits. Adding and deleting
    are for platform admins, and deleting is off unless a subclass allows it (history is kept, not removed).
    """

    view_action: str
    change_action: str

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The forms catch what they can; a rule only a service knows (raised while saving) becomes a message,
        # and the admin's transaction around the view has rolled the whole save back.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            details = getattr(error, "errors", {}) or {}
            text = " ".join([error.message, *(f"{key}: {' '.join(msgs)}" for key, msgs in details.items())])
            self.message_user(request, text, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_queryset(self, request):
        return visible(request.user, self.view_action, super().get_queryset(request))

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        if obj is not None:
            return can(request.user, self.view_action, obj)
        return is_platform_admin(request.user) or self.get_queryset(request).exists()

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            return can(request.user, self.change_action, obj)
        return (
            is_platform_admin(request.user)
            or visible(request.user, self.change_action, self.model._default_manager.all()).exists()
        )

    def has_add_permission(self, request, *args):
        return is_platform_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedInlineMixin:
    """Inline permissions from accounts.permissions, checked on the parent object (e.g. a merchant's hours
    follow merchant.change); on the add page, where there is no parent yet, only platform admins."""

    view_action: str
    change_action: str

    def _may(self, request, action: str, obj) -> bool:
        return can(request.user, action, obj) if obj is not None else is_platform_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return self._may(request, self.view_action, obj)

    def has_add_permission(self, request, obj=None):
        return self._may(request, self.change_action, obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, self.change_action, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, self.change_action, obj)


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)
        field_classes: dict = {}


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"
        field_classes: dict = {}


@admin.register(User)
class UserAdmin(ScopedModelAdmin, DjangoUserAdmin):
    """People, by e-mail address (there are no usernames). Erasure goes through the privacy app, not delete."""

    view_action = "account.view"
    change_action = "account.change"
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "preferred_language", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser", "preferred_language")
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = ("pseudonym", "date_joined", "last_login", "last_seen_at", "erased_at")
    fieldsets = (
        (None, {"fields": ("email", "password", "pseudonym")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "preferred_language")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("date_joined", "last_login", "last_seen_at", "erased_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)

    # Looking at or changing someone's account is access to personal data: both go into the audit log.
    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", None) == 200:
            person = self.get_object(request, object_id)
            if person is not None and person.pk != request.user.pk:
                log_access(
                    actor=request.user,
                    action=AuditAction.VIEW,
                    subject=person,
                    via="admin",
                    fields=["email", "first_name", "last_name", "preferred_language"],
                )
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            log_access(
                actor=request.user, action=AuditAction.CHANGE, subject=obj, fields=form.changed_data, via="admin"
            )

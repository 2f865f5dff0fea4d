"""Two leftovers of Wagtail's own migrations that an area's editors meet:

- the "Moderators approval" workflow on the whole tree: "Submit to Moderators approval" locked a page in a workflow
  that no area manager can finish (the "Moderators" group is empty; its e-mails went to the superusers). Editors
  publish their own site's pages; the workflow is switched off and any page in it released (cancelled).
- the editor groups made before could not translate a page into English: they get simple_translation's permission
  (`services.ensure_editor_group` gives it to new ones; on a fresh database the permission itself comes later).
- the "Welcome to your new Wagtail site!" page, still in the tree and the page chooser after the areas got their
  sites: deleted when no site is rooted at it, nothing is below it and nothing links to it. (A fresh install still
  has its placeholder site here; `services.create_area_site` deletes both when the first area gets its site.)
"""

from django.db import migrations
from django.utils import timezone

WORKFLOW_NAME = "Moderators approval"
WELCOME_TITLE = "Welcome to your new Wagtail site!"


def switch_off_default_workflow(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowState = apps.get_model("wagtailcore", "WorkflowState")
    TaskState = apps.get_model("wagtailcore", "TaskState")
    for workflow in Workflow.objects.filter(name=WORKFLOW_NAME, active=True):
        open_states = WorkflowState.objects.filter(workflow=workflow, status__in=["in_progress", "needs_changes"])
        TaskState.objects.filter(workflow_state__in=open_states, status="in_progress").update(
            status="cancelled", finished_at=timezone.now()
        )
        open_states.update(status="cancelled")
        workflow.active = False
        workflow.save(update_fields=["active"])


def let_editors_translate(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    EditorGroup = apps.get_model("cms", "EditorGroup")
    permission = Permission.objects.filter(
        content_type__app_label="simple_translation", codename="submit_translation"
    ).first()
    if permission is None:
        return
    for link in EditorGroup.objects.select_related("group"):
        link.group.permissions.add(permission)


def remove_welcome_page(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    Revision = apps.get_model("wagtailcore", "Revision")
    ReferenceIndex = apps.get_model("wagtailcore", "ReferenceIndex")
    page_type = ContentType.objects.filter(app_label="wagtailcore", model="page").first()
    if page_type is None:
        return
    welcome = Page.objects.filter(
        depth=2, numchild=0, content_type=page_type, title=WELCOME_TITLE, sites_rooted_here__isnull=True
    ).first()
    if (
        welcome is None
        or ReferenceIndex.objects.filter(to_content_type=page_type, to_object_id=str(welcome.pk)).exists()
    ):
        return
    ReferenceIndex.objects.filter(base_content_type=page_type, object_id=str(welcome.pk)).delete()
    Revision.objects.filter(base_content_type=page_type, object_id=str(welcome.pk)).delete()
    welcome.delete()
    # Historical models are not tree-aware: the tree root's child count is set by hand.
    Page.objects.filter(depth=1).update(numchild=Page.objects.filter(depth=2).count())


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0002_website"),
        ("wagtailcore", "0098_apitoken"),
        ("simple_translation", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(switch_off_default_workflow, migrations.RunPython.noop),
        migrations.RunPython(let_editors_translate, migrations.RunPython.noop),
        migrations.RunPython(remove_welcome_page, migrations.RunPython.noop),
    ]

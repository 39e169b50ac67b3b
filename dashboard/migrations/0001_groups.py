"""Create the dashboard's roles: groups ``viewer`` (read) and ``editor`` (manage scenarios)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ["view_scenario", "view_run", "view_runhost", "view_location", "view_release",
        "view_incident", "view_threshold", "view_comparison"]
EDIT = ["add_scenario", "change_scenario", "delete_scenario",
        "add_threshold", "change_threshold", "delete_threshold",
        "add_release", "change_release", "delete_release", "add_run", "change_run"]


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    viewer, _ = Group.objects.get_or_create(name="viewer")
    editor, _ = Group.objects.get_or_create(name="editor")
    view = Permission.objects.filter(content_type__app_label="scenarios", codename__in=VIEW)
    edit = Permission.objects.filter(content_type__app_label="scenarios", codename__in=EDIT)
    viewer.permissions.add(*view)
    editor.permissions.add(*view, *edit)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["viewer", "editor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("scenarios", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]

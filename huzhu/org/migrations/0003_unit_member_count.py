from django.db import migrations, models
from django.db.models import Count


def count_members(apps, schema_editor):
    """Fill the kept counts from the members already registered."""
    Unit = apps.get_model("org", "Unit")
    Member = apps.get_model("members", "Member")
    counts = Member.objects.values("unit_id").annotate(n=Count("id")).values_list("unit_id", "n")
    for unit_id, n in counts:
        Unit.objects.filter(pk=unit_id).update(member_count=n)


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0002_unit_active"),
        ("members", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="unit",
            name="member_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(count_members, migrations.RunPython.noop, elidable=True),
    ]

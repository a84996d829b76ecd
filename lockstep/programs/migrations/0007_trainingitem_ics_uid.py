"""A random, stored part of each session's calendar UID. Existing sessions get distinct
random values (a column default would give them all the same one), then the column
becomes unique."""

import secrets

from django.db import migrations, models

import lockstep.programs.models


def fill_uids(apps, schema_editor):  # type: ignore[no-untyped-def]
    TrainingItem = apps.get_model("programs", "TrainingItem")
    for item in TrainingItem.objects.only("pk").iterator():
        TrainingItem.objects.filter(pk=item.pk).update(ics_uid=secrets.token_hex(16))


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0006_plan_owns_check_questions_and_pulse_rounds"),
    ]

    operations = [
        migrations.AddField(
            model_name="trainingitem",
            name="ics_uid",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(fill_uids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="trainingitem",
            name="ics_uid",
            field=models.CharField(
                default=lockstep.programs.models.new_ics_uid,
                editable=False,
                max_length=32,
                unique=True,
            ),
        ),
    ]

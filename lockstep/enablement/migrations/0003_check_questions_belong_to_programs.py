from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("enablement", "0002_rename_check_tables"),
        ("programs", "0006_plan_owns_check_questions_and_pulse_rounds"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="CheckChoice"),
                migrations.DeleteModel(name="CheckQuestion"),
            ],
        ),
    ]

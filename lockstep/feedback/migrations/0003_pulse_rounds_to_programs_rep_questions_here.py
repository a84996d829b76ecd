# Pulse rounds now belong to programs (the plan); rep questions belong here (the table was
# renamed to feedback_repquestion by programs 0006).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0002_rename_pulseround_table"),
        ("orgs", "0005_organization_escalate_leader_percent_and_more"),
        ("programs", "0006_plan_owns_check_questions_and_pulse_rounds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="pulseresponse",
                    name="round",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="responses", to="programs.pulseround"),
                ),
                migrations.DeleteModel(name="PulseRound"),
                migrations.CreateModel(
                    name="RepQuestion",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("body", models.TextField(max_length=2000)),
                        ("answer", models.TextField(blank=True)),
                        ("answered_at", models.DateTimeField(blank=True, null=True)),
                        ("in_faq", models.BooleanField(default=False)),
                        ("faq_question", models.TextField(blank=True, max_length=2000)),
                        ("faq_answer", models.TextField(blank=True)),
                        ("answered_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("asked_by", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("org", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="orgs.organization")),
                        ("program", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="questions", to="programs.program")),
                    ],
                    options={"ordering": ["-created_at"]},
                ),
            ],
        ),
    ]

# Model ownership: the plan (programs) owns the knowledge check's questions and the pulse
# schedule; rep questions move to feedback. Tables were renamed by enablement 0002 and
# feedback 0002; here the state moves, and programs_repquestion is renamed for feedback.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0005_organization_escalate_leader_percent_and_more"),
        ("programs", "0005_program_sla_hours"),
        ("enablement", "0002_rename_check_tables"),
        ("feedback", "0002_rename_pulseround_table"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CheckQuestion",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("text", models.TextField(max_length=1000)),
                        ("kind", models.CharField(choices=[("single", "One answer"), ("multiple", "Several answers")], default="single", max_length=10)),
                        ("explanation", models.TextField(blank=True, max_length=2000)),
                        ("position", models.PositiveIntegerField(default=0)),
                        ("knowledge_check", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="questions", to="programs.knowledgecheck")),
                        ("org", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="orgs.organization")),
                    ],
                    options={"ordering": ["position", "id"]},
                ),
                migrations.CreateModel(
                    name="CheckChoice",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("text", models.CharField(max_length=300)),
                        ("correct", models.BooleanField(default=False)),
                        ("position", models.PositiveIntegerField(default=0)),
                        ("question", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="choices", to="programs.checkquestion")),
                    ],
                    options={"ordering": ["position", "id"]},
                ),
                migrations.CreateModel(
                    name="PulseRound",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("day_offset", models.PositiveSmallIntegerField(help_text="Days after launch; 0 = at launch.")),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("org", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="orgs.organization")),
                        ("program", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="pulse_rounds", to="programs.program")),
                    ],
                    options={
                        "ordering": ["day_offset"],
                        "constraints": [models.UniqueConstraint(fields=("program", "day_offset"), name="pulse_round_once")],
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="repquestion", table="feedback_repquestion"),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RepQuestion")],
        ),
    ]

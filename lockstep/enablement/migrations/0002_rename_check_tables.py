# The knowledge check's questions move to the programs app (the plan owns the check); the
# tables are renamed here, the models change apps in programs 0006 and enablement 0003.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("enablement", "0001_initial")]

    operations = [
        migrations.AlterModelTable(name="checkquestion", table="programs_checkquestion"),
        migrations.AlterModelTable(name="checkchoice", table="programs_checkchoice"),
    ]

# Pulse rounds (the schedule) move to the programs app; the table is renamed here, the model
# changes apps in programs 0006 and feedback 0003.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]

    operations = [
        migrations.AlterModelTable(name="pulseround", table="programs_pulseround"),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('listings', '0003_browse_sort_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='tier',
            name='requires_approval',
            field=models.BooleanField(default=False),
        ),
    ]

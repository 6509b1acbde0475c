"""The home page's due and overdue counts kept per station and due day
(``care.due_counts``): the table, its triggers on the obligations, a first
count."""

from django.db import migrations, models


def install(apps, schema_editor):
    from care import due_counts

    schema_editor.execute(due_counts.TRIGGERS_SQL)
    due_counts.recount()


def drop(apps, schema_editor):
    from care import due_counts

    schema_editor.execute(due_counts.DROP_SQL)


class Migration(migrations.Migration):

    dependencies = [
        ('care', '0005_obligations_kept'),
    ]

    operations = [
        migrations.CreateModel(
            name='DueCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('station_id', models.BigIntegerField(verbose_name='station')),
                ('due_on', models.DateField(verbose_name='due on')),
                ('n', models.BigIntegerField(verbose_name='change')),
            ],
            options={
                'verbose_name': 'due count',
                'verbose_name_plural': 'due counts',
                'indexes': [models.Index(fields=['station_id', 'due_on'], include=('n',), name='due_count_day')],
            },
        ),
        migrations.RunPython(install, drop),
    ]

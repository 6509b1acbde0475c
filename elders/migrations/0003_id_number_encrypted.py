"""Resident ID numbers encrypted at rest, and no ID number in the history.

Every archive's number moves to ``elders_elderidnumber``: encrypted (AES-GCM,
the first key of ``FIELD_ENCRYPTION_KEY``) with its blind index, a batch of
archives per statement; the archive keeps the last four characters. The history's
rows keep only the last four characters of the number they held. Both plaintext
columns are dropped, and the unique constraint moves to the blind index.

Dropping a column leaves its old values in the table's pages until they are
rewritten: after migrating a database that held numbers, run
``VACUUM FULL elders_elder, elders_elderevent`` (see README, "Personal data").
"""

import carecenter.validators
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models
from psycopg2.extras import execute_values

BATCH = 5000


def encrypt_id_numbers(apps, schema_editor):
    from elders import id_numbers

    with schema_editor.connection.cursor() as cursor:
        last = 0
        while True:
            cursor.execute(
                "SELECT id, district_id, id_number FROM elders_elder "
                "WHERE id > %s ORDER BY id LIMIT %s",
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            values = []
            for pk, district_id, number in rows:
                sealed = id_numbers.seal(id_numbers.normalize(number))
                values.append(
                    (pk, district_id, sealed.encrypted, sealed.index, sealed.last4)
                )
            execute_values(
                cursor,
                "WITH v (id, district_id, encrypted, index, last4) AS (VALUES %s), "
                "n AS (INSERT INTO elders_elderidnumber "
                "(elder_id, district_id, encrypted, index) "
                "SELECT id, district_id, encrypted, index FROM v) "
                "UPDATE elders_elder AS e SET id_number_last4 = v.last4 "
                "FROM v WHERE e.id = v.id",
                values,
                template="(%s, %s, %s::bytea, %s::bytea, %s)",
                page_size=BATCH,
            )
            last = rows[-1][0]
        cursor.execute(
            "UPDATE elders_elderevent SET id_number_last4 = right(id_number, 4)"
        )


def decrypt_id_numbers(apps, schema_editor):
    """Back to plaintext (a rolled-back deployment); the history keeps last fours."""
    from elders import id_numbers

    with schema_editor.connection.cursor() as cursor:
        last = 0
        while True:
            cursor.execute(
                "SELECT elder_id, encrypted FROM elders_elderidnumber "
                "WHERE elder_id > %s ORDER BY elder_id LIMIT %s",
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            execute_values(
                cursor,
                "UPDATE elders_elder AS e SET id_number = v.number "
                "FROM (VALUES %s) AS v (id, number) WHERE e.id = v.id",
                [(pk, id_numbers.unseal(token)) for pk, token in rows],
                page_size=BATCH,
            )
            last = rows[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ('carecenter', '0002_access_log_and_reveal_policy'),
        ('elders', '0002_list_order_and_name_search_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='ElderIdNumber',
            fields=[
                ('elder', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='id_number_record', serialize=False, to='elders.elder', verbose_name='elder')),
                ('encrypted', models.BinaryField(verbose_name='resident ID number (encrypted)')),
                ('index', models.BinaryField(verbose_name='resident ID number (blind index)')),
            ],
            options={
                'verbose_name': 'resident ID number',
                'verbose_name_plural': 'resident ID numbers',
            },
        ),
        migrations.AddField(
            model_name='elderidnumber',
            name='district',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='carecenter.district', verbose_name='district'),
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='elder',
            name='insert_insert',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='elder',
            name='update_update',
        ),
        migrations.RemoveConstraint(
            model_name='elder',
            name='elder_id_number_unique_in_district',
        ),
        migrations.AddField(
            model_name='elder',
            name='id_number_changed_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='ID number changed at'),
        ),
        migrations.AddField(
            model_name='elder',
            name='id_number_last4',
            field=models.CharField(default='', editable=False, max_length=4, verbose_name='resident ID number'),
        ),
        migrations.AddField(
            model_name='elderevent',
            name='id_number_changed_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='ID number changed at'),
        ),
        migrations.AddField(
            model_name='elderevent',
            name='id_number_last4',
            field=models.CharField(default='', editable=False, max_length=4, verbose_name='resident ID number'),
        ),
        # The history's triggers are off (removed above) while the archives are
        # rewritten, so that moving the numbers is not a change of every archive.
        migrations.RunPython(encrypt_id_numbers, decrypt_id_numbers),
        migrations.RemoveField(
            model_name='elder',
            name='id_number',
        ),
        migrations.RemoveField(
            model_name='elderevent',
            name='id_number',
        ),
        migrations.AlterField(
            model_name='barthelassessment',
            name='assessed_on',
            field=models.DateField(validators=[carecenter.validators.plausible_date], verbose_name='assessed on'),
        ),
        migrations.AlterField(
            model_name='barthelassessmentevent',
            name='assessed_on',
            field=models.DateField(validators=[carecenter.validators.plausible_date], verbose_name='assessed on'),
        ),
        migrations.AlterField(
            model_name='elder',
            name='address',
            field=models.CharField(blank=True, max_length=200, validators=[carecenter.validators.NoControlCharacters()], verbose_name='address'),
        ),
        migrations.AlterField(
            model_name='elder',
            name='birth_date',
            field=models.DateField(validators=[carecenter.validators.plausible_birth_date], verbose_name='birth date'),
        ),
        migrations.AlterField(
            model_name='elder',
            name='name',
            field=models.CharField(max_length=50, validators=[carecenter.validators.NoControlCharacters()], verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='elder',
            name='phone',
            field=models.CharField(blank=True, max_length=32, validators=[carecenter.validators.NoControlCharacters()], verbose_name='phone'),
        ),
        migrations.AlterField(
            model_name='elder',
            name='residence_since',
            field=models.DateField(blank=True, help_text='For elders registered elsewhere: when they began living here.', null=True, validators=[carecenter.validators.plausible_date], verbose_name='living here since'),
        ),
        migrations.AlterField(
            model_name='elderevent',
            name='address',
            field=models.CharField(blank=True, max_length=200, validators=[carecenter.validators.NoControlCharacters()], verbose_name='address'),
        ),
        migrations.AlterField(
            model_name='elderevent',
            name='birth_date',
            field=models.DateField(validators=[carecenter.validators.plausible_birth_date], verbose_name='birth date'),
        ),
        migrations.AlterField(
            model_name='elderevent',
            name='name',
            field=models.CharField(max_length=50, validators=[carecenter.validators.NoControlCharacters()], verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='elderevent',
            name='phone',
            field=models.CharField(blank=True, max_length=32, validators=[carecenter.validators.NoControlCharacters()], verbose_name='phone'),
        ),
        migrations.AlterField(
            model_name='elderevent',
            name='residence_since',
            field=models.DateField(blank=True, help_text='For elders registered elsewhere: when they began living here.', null=True, validators=[carecenter.validators.plausible_date], verbose_name='living here since'),
        ),
        migrations.AlterField(
            model_name='familycontact',
            name='name',
            field=models.CharField(max_length=50, validators=[carecenter.validators.NoControlCharacters()], verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='familycontact',
            name='phone',
            field=models.CharField(max_length=32, validators=[carecenter.validators.NoControlCharacters()], verbose_name='phone'),
        ),
        migrations.AlterField(
            model_name='familycontact',
            name='relation',
            field=models.CharField(max_length=30, validators=[carecenter.validators.NoControlCharacters()], verbose_name='relation'),
        ),
        migrations.AlterField(
            model_name='familycontactevent',
            name='name',
            field=models.CharField(max_length=50, validators=[carecenter.validators.NoControlCharacters()], verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='familycontactevent',
            name='phone',
            field=models.CharField(max_length=32, validators=[carecenter.validators.NoControlCharacters()], verbose_name='phone'),
        ),
        migrations.AlterField(
            model_name='familycontactevent',
            name='relation',
            field=models.CharField(max_length=30, validators=[carecenter.validators.NoControlCharacters()], verbose_name='relation'),
        ),
        migrations.AlterField(
            model_name='needssurvey',
            name='surveyed_on',
            field=models.DateField(validators=[carecenter.validators.plausible_date], verbose_name='surveyed on'),
        ),
        migrations.AlterField(
            model_name='needssurveyevent',
            name='surveyed_on',
            field=models.DateField(validators=[carecenter.validators.plausible_date], verbose_name='surveyed on'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='barthelassessment',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "elders_barthelassessmentevent" ("assessed_by_id", "assessed_on", "bathing", "bladder", "bowels", "created_at", "dressing", "elder_id", "feeding", "grooming", "id", "mobility", "notes", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "stairs", "toilet", "transfers") VALUES (OLD."assessed_by_id", OLD."assessed_on", OLD."bathing", OLD."bladder", OLD."bowels", OLD."created_at", OLD."dressing", OLD."elder_id", OLD."feeding", OLD."grooming", OLD."id", OLD."mobility", OLD."notes", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."stairs", OLD."toilet", OLD."transfers"); RETURN NULL;', hash='b32cd3a2f6ebe7c3a0f0fadf66a5f0d5976fe27c', operation='DELETE', pgid='pgtrigger_delete_delete_d70e2', table='elders_barthelassessment', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='elder',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "elders_elderevent" ("address", "birth_date", "categories", "chronic_conditions", "created_at", "district_id", "empty_nest", "financial_difficulty", "gender", "health_status", "hukou_local", "id", "id_number_changed_at", "id_number_last4", "living_arrangement", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "residence_since", "station_id", "status", "tier_override", "tier_override_at", "tier_override_by_id", "tier_override_reason", "updated_at") VALUES (NEW."address", NEW."birth_date", NEW."categories", NEW."chronic_conditions", NEW."created_at", NEW."district_id", NEW."empty_nest", NEW."financial_difficulty", NEW."gender", NEW."health_status", NEW."hukou_local", NEW."id", NEW."id_number_changed_at", NEW."id_number_last4", NEW."living_arrangement", NEW."name", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."phone", NEW."residence_since", NEW."station_id", NEW."status", NEW."tier_override", NEW."tier_override_at", NEW."tier_override_by_id", NEW."tier_override_reason", NEW."updated_at"); RETURN NULL;', hash='30f0456b954b8f3dd40b8fc275e79caea800eee1', operation='INSERT', pgid='pgtrigger_insert_insert_4ac7d', table='elders_elder', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='elder',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "elders_elderevent" ("address", "birth_date", "categories", "chronic_conditions", "created_at", "district_id", "empty_nest", "financial_difficulty", "gender", "health_status", "hukou_local", "id", "id_number_changed_at", "id_number_last4", "living_arrangement", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "residence_since", "station_id", "status", "tier_override", "tier_override_at", "tier_override_by_id", "tier_override_reason", "updated_at") VALUES (NEW."address", NEW."birth_date", NEW."categories", NEW."chronic_conditions", NEW."created_at", NEW."district_id", NEW."empty_nest", NEW."financial_difficulty", NEW."gender", NEW."health_status", NEW."hukou_local", NEW."id", NEW."id_number_changed_at", NEW."id_number_last4", NEW."living_arrangement", NEW."name", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."phone", NEW."residence_since", NEW."station_id", NEW."status", NEW."tier_override", NEW."tier_override_at", NEW."tier_override_by_id", NEW."tier_override_reason", NEW."updated_at"); RETURN NULL;', hash='c3db8741de40818188b7fa23ed4174831cad5719', operation='UPDATE', pgid='pgtrigger_update_update_8f039', table='elders_elder', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='familycontact',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "elders_familycontactevent" ("elder_id", "id", "is_emergency", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "phone", "relation") VALUES (OLD."elder_id", OLD."id", OLD."is_emergency", OLD."name", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."phone", OLD."relation"); RETURN NULL;', hash='c006afd4db9c7c58aa3229df2514b4d176312f10', operation='DELETE', pgid='pgtrigger_delete_delete_4faec', table='elders_familycontact', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='needssurvey',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "elders_needssurveyevent" ("created_at", "elder_id", "id", "needs", "notes", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "surveyed_by_id", "surveyed_on") VALUES (OLD."created_at", OLD."elder_id", OLD."id", OLD."needs", OLD."notes", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."surveyed_by_id", OLD."surveyed_on"); RETURN NULL;', hash='bb45294785eeb6f54c4b8a5cfe52fe32fa05d137', operation='DELETE', pgid='pgtrigger_delete_delete_718ae', table='elders_needssurvey', when='AFTER')),
        ),
        migrations.AddConstraint(
            model_name='elderidnumber',
            constraint=models.UniqueConstraint(fields=('district', 'index'), name='elder_id_number_unique_in_district', violation_error_message='This resident ID number is already registered. If the elder moved here from another station, ask the district to transfer the archive.'),
        ),
    ]

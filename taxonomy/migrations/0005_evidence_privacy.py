from django.db import migrations, models


def take_back_exact_publications(apps, schema_editor):
    """Evidence published before the differential privacy was exact counts behind a floor,
    which two publications can subtract (issue 21): it is taken back, and organisers publish
    again (each publication is kept by its session, so nothing is lost but the exposure)."""
    apps.get_model("taxonomy", "PublishedWorkshop").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("taxonomy", "0004_published_evidence"),
    ]

    operations = [
        migrations.RunPython(take_back_exact_publications, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="evidencecount",
            name="suppressed_rows_carry_no_numbers",
        ),
        migrations.RemoveField(
            model_name="evidencecount",
            name="suppressed",
        ),
        migrations.AddField(
            model_name="publishedworkshop",
            name="epsilon",
            field=models.DecimalField(
                decimal_places=6,
                default=0,
                max_digits=8,
                verbose_name="privacy budget spent (ε)",
            ),
        ),
        migrations.AlterField(
            model_name="evidencecount",
            name="participants",
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="evidencecount",
            name="needs_mapped",
            field=models.IntegerField(),
        ),
        migrations.AlterField(
            model_name="evidencecount",
            name="dots",
            field=models.IntegerField(),
        ),
        migrations.AlterField(
            model_name="evidencecount",
            name="gap_notes",
            field=models.IntegerField(),
        ),
    ]

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest


def fill_changed_at(apps: Any, schema_editor: Any) -> None:
    """Store each service's latest incident or maintenance change, as the reads computed it."""
    service_model = apps.get_model("domain", "Service")
    incident_model = apps.get_model("domain", "Incident")
    maintenance_model = apps.get_model("domain", "Maintenance")
    incident = (incident_model.objects.filter(services=OuterRef("pk")).order_by("-updated_at")
                .values("updated_at")[:1])
    maintenance = (maintenance_model.objects.filter(services=OuterRef("pk"))
                   .order_by("-updated_at").values("updated_at")[:1])
    service_model.objects.update(changed_at=Greatest(
        Coalesce(Subquery(incident), Subquery(maintenance)),
        Coalesce(Subquery(maintenance), Subquery(incident)),
    ))


class Migration(migrations.Migration):

    dependencies = [
        ("domain", "0003_day_figures"),
    ]

    operations = [
        migrations.AddField(
            model_name="service",
            name="changed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_changed_at, migrations.RunPython.noop),
    ]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """The Django side of analytics: nightly snapshots, the dashboard, scores on customers."""

    name = "mehvar.insights"
    label = "insights"
    verbose_name = _("Customer analytics")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    """The service desk: tickets with SLAs, compensation and returns (seeds 001, 003, 004)."""

    name = "mehvar.service"
    label = "service"
    verbose_name = _("Service desk")

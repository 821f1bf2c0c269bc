from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """The voice of the customer: surveys, customers' words and the closed loop (seeds 003, 004)."""

    name = "mehvar.feedback"
    label = "feedback"
    verbose_name = _("Customer feedback")

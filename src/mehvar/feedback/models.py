"""The voice of the customer: surveys, their answers, customers' words and the closed loop.

A *survey* is a list of *questions*; a customer is *invited* with a single-use signed link (or
answers through the survey's public link / QR code in a shop). Their *response* keeps one
*answer* per question, saved as they go, so a half-finished form is not lost. Every free text a
customer wrote to us — survey comments, and the notes and calls staff logged — becomes a
*comment* with its sentiment, which staff may correct. An unhappy answer opens a *follow-up*
for a person, tracked until the customer was contacted and the matter resolved.
"""

from __future__ import annotations

import secrets
from typing import Any, Final

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mehvar.core.models import Department

# The six customer-level quality dimensions of seed 003 (سطح مشتری), asked as one grid.
QUALITY_DIMENSIONS: Final[tuple[tuple[str, str, str], ...]] = (
    ("product", "کیفیت محصول", "Product quality"),
    ("service", "کیفیت خدمات", "Service quality"),
    ("after_sales", "کیفیت خدمات پس از فروش", "After-sales quality"),
    ("flexibility", "انعطاف‌پذیری در ارائه خدمات", "Flexibility"),
    ("competence", "صلاحیت و شایستگی فروشندگان", "Seller competence"),
    ("reliability", "قابلیت اطمینان و دوستی کارکنان", "Reliability and friendliness"),
)


def _public_slug() -> str:
    return secrets.token_urlsafe(9)


def _nonce() -> str:
    # Short, because it is part of a link sent by SMS; the HMAC beside it is what is unforgeable.
    return secrets.token_urlsafe(6)


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class Survey(models.Model):
    title_fa = models.CharField(_("title (Persian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    intro_fa = models.TextField(_("introduction (Persian)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    thanks_fa = models.TextField(_("thank-you text (Persian)"), blank=True)
    thanks_en = models.TextField(_("thank-you text (English)"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    # What the answers are about, for the dashboard's breakdowns.
    touchpoint = models.CharField(_("touchpoint"), max_length=100, blank=True)
    department = models.CharField(
        _("department"), max_length=16, choices=Department.choices, blank=True
    )
    product = models.ForeignKey(
        "customers.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
    )
    public_slug = models.CharField(max_length=16, unique=True, default=_public_slug)
    public_enabled = models.BooleanField(_("public link / QR code"), default=False)
    link_days = models.PositiveSmallIntegerField(_("personal links valid for (days)"), default=14)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.title_fa


class QuestionKind(models.TextChoices):
    NPS = "nps", _("Recommend (NPS, 0–10)")
    CSAT = "csat", _("Satisfaction (CSAT, 1–5)")
    CES = "ces", _("Effort (CES, 1–7)")
    KANO = "kano", _("Kano pair for a feature")
    QUALITY = "quality", _("Six quality dimensions (grid)")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Free text")


class Question(models.Model):
    """One question. ``key`` is stable so branching rules and exports can name it.

    For a Kano pair the functional question is ``text_*`` and the dysfunctional one
    ``alt_text_*``; ``feature_*`` names the feature on the Kano chart. Choices are
    ``[{"value": "...", "fa": "...", "en": "..."}]``. ``show_if`` asks this question only when an
    earlier answer matches: ``{"key": "q1", "op": "lte", "value": 6}`` (see ``branching.py``).
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(_("key"), max_length=32)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("type"), max_length=10, choices=QuestionKind.choices)
    text_fa = models.CharField(_("question (Persian)"), max_length=500)
    text_en = models.CharField(_("question (English)"), max_length=500, blank=True)
    alt_text_fa = models.CharField(
        _("dysfunctional question (Persian)"), max_length=500, blank=True
    )
    alt_text_en = models.CharField(
        _("dysfunctional question (English)"), max_length=500, blank=True
    )
    feature_fa = models.CharField(_("feature (Persian)"), max_length=200, blank=True)
    feature_en = models.CharField(_("feature (English)"), max_length=200, blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)
    show_if = models.JSONField(_("ask only if"), default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="question_key_unique"),
        ]

    def __str__(self) -> str:
        return self.text_fa


class InvitationChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    LINK = "link", _("Link handed over")


class Invitation(models.Model):
    """A personal, single-use link; the token signs (id, nonce): see ``tokens.py``."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=InvitationChannel.choices)
    nonce = models.CharField(max_length=16, default=_nonce)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    completed_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # The natural key of an automatic sending ("rule:3:order:812"): a retried job cannot invite
    # the same customer twice for the same reason.
    trigger_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When the message went out (SMS or email; a link handed over counts as sent when made).
    # Delivery is a retried background task that sends only while this is empty.
    sent_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["survey", "-created_at"], name="invitation_by_survey")]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.customer_id}"


class Response(models.Model):
    """One person's answers to one survey; ``submitted_at`` is empty while it is partial.

    The scores are copied from the answers when saved so the dashboard aggregates one table.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    # A public (QR) answer is tied to its browser by a random key in a cookie, so a reload
    # continues the same response instead of starting a second one.
    public_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    language = models.CharField(max_length=2, default="fa")
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    ces = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["survey", "submitted_at"], name="response_by_survey"),
            models.Index(fields=["submitted_at"], name="response_by_time"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.pk}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class Answer(models.Model):
    """The answer to one question; ``value`` is shaped by its type (see ``answers.py``)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    value = models.JSONField(null=True, blank=True)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}={self.value}"


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class CommentSource(models.TextChoices):
    SURVEY = "survey", _("Survey answer")
    NOTE = "note", _("Note")
    CALL = "call", _("Logged contact")
    IMPORT = "import", _("Imported comment")


class Comment(models.Model):
    """A customer's own words, wherever they were written down, with their sentiment.

    ``(ref_type, ref_id)`` names the source row ("feedback.answer", "12"), unique, so reading the
    same note twice cannot make two comments. ``corrected`` is a person's verdict, which wins
    over the model's and trains the company's own model.
    """

    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comments",
    )
    source = models.CharField(_("source"), max_length=8, choices=CommentSource.choices)
    ref_type = models.CharField(max_length=64)
    ref_id = models.CharField(max_length=64)
    survey = models.ForeignKey(
        Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    text = models.TextField(_("text"))
    language = models.CharField(max_length=2, default="fa")
    sentiment = models.CharField(_("sentiment"), max_length=8, choices=Sentiment.choices)
    score = models.FloatField(_("score"), default=0.0)
    model_version = models.CharField(max_length=64, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    corrected = models.CharField(  # noqa: DJ001
        _("corrected sentiment"), max_length=8, choices=Sentiment.choices, null=True, blank=True
    )
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    corrected_at = models.DateTimeField(null=True, blank=True)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ref_type", "ref_id"], name="comment_once_per_source"),
        ]
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="comment_wall"),
            models.Index(fields=["source", "-occurred_at"], name="comment_by_source"),
        ]

    def __str__(self) -> str:
        return self.text[:50]

    @property
    def label(self) -> str:
        """What the company believes: the person's correction, else the model's reading."""
        return self.corrected or self.sentiment


class FollowUpReason(models.TextChoices):
    DETRACTOR = "detractor", _("Detractor (NPS 0–6)")
    LOW_CSAT = "low_csat", _("Low satisfaction (CSAT 1–2)")
    NEGATIVE_COMMENT = "negative_comment", _("Negative comment")


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONTACTED = "contacted", _("Customer contacted")
    RESOLVED = "resolved", _("Resolved")


class FollowUp(models.Model):
    """Closing the loop on one unhappy response: one per response, whatever made it unhappy."""

    response = models.OneToOneField(
        Response, null=True, blank=True, on_delete=models.CASCADE, related_name="follow_up"
    )
    comment = models.OneToOneField(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="follow_up"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    reasons = models.JSONField(_("reasons"), default=list)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    alerted_at = models.DateTimeField(null=True, blank=True)
    contacted_at = models.DateTimeField(_("contacted"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolution = models.TextField(_("what was done"), blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(response__isnull=False) | Q(comment__isnull=False),
                name="follow_up_has_a_source",
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="follow_up_by_assignee"),
            models.Index(fields=["status", "due_at"], name="follow_up_by_status"),
        ]

    def __str__(self) -> str:
        return f"follow-up {self.pk}"


class TriggerEvent(models.TextChoices):
    ORDER_DELIVERED = "order_delivered", _("An order was delivered")


class TriggerRule(models.Model):
    """Invite a customer automatically some days after an event (an order delivered)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="trigger_rules")
    event = models.CharField(_("after"), max_length=20, choices=TriggerEvent.choices)
    delay_days = models.PositiveSmallIntegerField(_("days later"), default=2)
    channel = models.CharField(
        _("channel"),
        max_length=8,
        choices=InvitationChannel.choices,
        default=InvitationChannel.SMS,
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When a switched-off rule was switched on again (empty: active since it was made). Only
    # events after it count, so switching a rule back on does not survey the months it was off.
    active_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.event} +{self.delay_days}d"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.is_active and self.pk is not None:
            was_off = TriggerRule.objects.filter(pk=self.pk, is_active=False).exists()
            if was_off:
                self.active_since = timezone.now()
                if kwargs.get("update_fields") is not None:
                    kwargs["update_fields"] = {*kwargs["update_fields"], "active_since"}
        super().save(*args, **kwargs)


class TriggerOutcome(models.TextChoices):
    INVITED = "invited", _("Invited")
    SKIPPED = "skipped", _("Skipped")


class TriggerDecision(models.Model):
    """What a rule decided about one event (an order): each is weighed once, then never again.

    Without it a skipped order would be weighed every hour: a "recently invited" skip would turn
    into an invitation about a weeks-old order, and permanently skipped orders would fill every
    batch so that newer ones were never reached.
    """

    rule = models.ForeignKey(TriggerRule, on_delete=models.CASCADE, related_name="decisions")
    order = models.ForeignKey("customers.Order", on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=8, choices=TriggerOutcome.choices)
    reason = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "order"], name="trigger_decision_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}:{self.order_id} {self.outcome}"


class SentimentTraining(models.Model):
    """One retraining of the company's own sentiment model on its staff's corrections."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    labels = models.PositiveIntegerField(default=0)
    model_version = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # One retraining at a time, refused by the database itself: an unfinished run has
            # not succeeded (yet), so a second unfinished row would repeat (succeeded=False).
            models.UniqueConstraint(
                fields=["succeeded"],
                condition=Q(finished_at__isnull=True),
                name="sentiment_one_unfinished_run",
            ),
        ]

    def __str__(self) -> str:
        return f"training {self.pk}"

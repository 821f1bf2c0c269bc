"""Customer 360: the one record sales, marketing and service all read and write (seeds 002–004)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mehvar.core.models import Channel, Department, Direction
from mehvar.core.provinces import PROVINCE_CHOICES


class SearchKeyField(models.CharField):  # type: ignore[type-arg]
    """A normalised key searched by prefix ranges; byte order makes the range exact.

    PostgreSQL's default collation is linguistic, where a prefix range is not exact and LIKE
    cannot use a plain index; the "C" collation gives byte order on PostgreSQL. SQLite already
    compares bytes (BINARY).
    """

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    COMPANY = "company", _("Company")


class LifecycleStage(models.TextChoices):
    LEAD = "lead", _("Lead")
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    ADVOCATE = "advocate", _("Advocate")
    FORMER = "former", _("Former customer")


class AcquisitionSource(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    WEBSITE = "website", _("Website")
    INSTAGRAM = "instagram", _("Instagram")
    REFERRAL = "referral", _("Referral")
    CAMPAIGN = "campaign", _("Campaign")
    MARKETPLACE = "marketplace", _("Marketplace")
    PHONE = "phone", _("Phone")
    EXHIBITION = "exhibition", _("Exhibition")
    OTHER = "other", _("Other")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    kind = models.CharField(
        _("kind"), max_length=8, choices=CustomerKind.choices, default=CustomerKind.PERSON
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    company = models.ForeignKey(
        "self",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        limit_choices_to={"kind": CustomerKind.COMPANY},
    )
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    # mobile, national_id and external_id are unique where present (partial unique indexes in
    # Meta): with a plain unique index, the planner's statistics see one huge group of NULLs
    # and stop trusting the index for lookups (measured in bench/search_customers.py). Absent
    # values are NULL, not "", for the same partial indexes (hence the DJ001 exceptions).
    mobile = models.CharField(_("mobile"), max_length=13, null=True, blank=True)  # noqa: DJ001
    other_phones = models.JSONField(_("other phones"), default=list, blank=True)
    email = models.EmailField(_("email"), blank=True)
    national_id = models.CharField(  # noqa: DJ001
        _("national code / company id"), max_length=11, null=True, blank=True
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    province = models.CharField(_("province"), max_length=32, choices=PROVINCE_CHOICES, blank=True)
    city = models.CharField(_("city"), max_length=64, blank=True)
    address = models.TextField(_("address"), blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    acquisition_source = models.CharField(
        _("acquisition source"), max_length=16, choices=AcquisitionSource.choices, blank=True
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=16,
        choices=LifecycleStage.choices,
        default=LifecycleStage.LEAD,
    )
    external_id = models.CharField(_("external id"), max_length=64, null=True, blank=True)  # noqa: DJ001
    # No index: "not merged" matches nearly every row, and SQLite without statistics would
    # otherwise pick this index for every search and read the whole table.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_records",
        db_index=False,
    )
    # Search keys, maintained by services: "first last" and "last first", normalised.
    name_key = SearchKeyField(max_length=320, blank=True, editable=False)
    name_key_rev = SearchKeyField(max_length=320, blank=True, editable=False)
    email_key = SearchKeyField(max_length=254, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["name_key", "name_key_rev", "email_key"])

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name_key", "id"]
        indexes = [
            models.Index(fields=["name_key", "id"], name="customer_name_key"),
            models.Index(fields=["name_key_rev"], name="customer_name_key_rev"),
            models.Index(fields=["email_key"], name="customer_email_key"),
            models.Index(fields=["owner", "name_key"], name="customer_owner"),
            models.Index(fields=["province", "city"], name="customer_region"),
            models.Index(fields=["-created_at"], name="customer_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=[name],
                condition=models.Q(**{f"{name}__isnull": False}),
                name=f"customer_unique_{name}",
            )
            for name in ("mobile", "national_id", "external_id")
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == CustomerKind.COMPANY:
            return self.company_name
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class ConsentChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    CALL = "call", _("Call")


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", _("Granted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    UNKNOWN = "unknown", _("Not asked")


class ConsentSource(models.TextChoices):
    # The customer acted themselves: only they can undo a withdrawal made this way.
    CUSTOMER_FORM = "customer_form", _("Customer's own form")
    CUSTOMER_LINK = "customer_link", _("Unsubscribe link")
    CUSTOMER_REPLY = "customer_reply", _("Customer's SMS reply")
    # Recorded by the company on the customer's word or from a file.
    STAFF = "staff", _("Recorded by staff")
    IMPORT = "import", _("Import")
    API = "api", _("API")


CUSTOMER_OWN_SOURCES = frozenset(
    {ConsentSource.CUSTOMER_FORM, ConsentSource.CUSTOMER_LINK, ConsentSource.CUSTOMER_REPLY}
)


class Consent(models.Model):
    """The current consent of one customer on one channel; its history is ``ConsentChange``."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=8, choices=ConsentChannel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ConsentStatus.choices, default=ConsentStatus.UNKNOWN
    )
    source = models.CharField(_("source"), max_length=16, choices=ConsentSource.choices)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "channel"], name="consent_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}/{self.channel}: {self.status}"


class ConsentChange(models.Model):
    """Append-only: every grant and withdrawal, with who recorded it and on what evidence."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consent_changes")
    channel = models.CharField(_("channel"), max_length=8, choices=ConsentChannel.choices)
    status = models.CharField(_("status"), max_length=10, choices=ConsentStatus.choices)
    source = models.CharField(_("source"), max_length=16, choices=ConsentSource.choices)
    evidence = models.CharField(_("evidence"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id}/{self.channel}: {self.status} ({self.source})"


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True)
    price = models.BigIntegerField(_("price (Rial)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrderChannel(models.TextChoices):
    IN_STORE = "in_store", _("In store")
    WEBSITE = "website", _("Website")
    PHONE = "phone", _("Phone")
    MARKETPLACE = "marketplace", _("Marketplace")
    SOCIAL = "social", _("Social")


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned")


class Order(models.Model):
    number = models.CharField(_("order number"), max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    placed_at = models.DateTimeField(_("date"), default=timezone.now)
    channel = models.CharField(
        _("channel"), max_length=16, choices=OrderChannel.choices, default=OrderChannel.IN_STORE
    )
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.PAID
    )
    # Set when the order reaches "delivered" (a survey can be sent some days after it).
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    discount = models.BigIntegerField(_("discount (Rial)"), default=0)
    total = models.BigIntegerField(_("total (Rial)"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-placed_at"], name="order_by_customer"),
            models.Index(fields=["-placed_at"], name="order_placed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discount__gte=0), name="order_discount_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.BigIntegerField(_("unit price (Rial)"))

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="line_quantity_gte_1"),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="line_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"

    @property
    def line_total(self) -> int:
        return self.quantity * self.unit_price


class Interaction(models.Model):
    """A contact with the customer by any department, on any channel (seed 002)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    department = models.CharField(_("department"), max_length=16, choices=Department.choices)
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    summary = models.CharField(_("summary"), max_length=500)
    outcome = models.CharField(_("outcome"), max_length=255, blank=True)
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="interaction_by_customer")
        ]

    def __str__(self) -> str:
        return self.summary


class Note(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    body = models.TextField(_("note"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:50]


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Task(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("title"), max_length=200)
    due_at = models.DateTimeField(_("due"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["assignee", "status", "due_at"], name="task_by_assignee")]

    def __str__(self) -> str:
        return self.title


class SavedView(models.Model):
    """A named customer-list filter; shared views appear for every employee."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=1000)
    shared = models.BooleanField(_("shared with everyone"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name")]

    def __str__(self) -> str:
        return self.name


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    ORDERS = "orders", _("Orders")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file"), max_length=255)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.original_name}"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == ImportStatus.DONE else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))


class ImportRowError(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=100, blank=True)
    value = models.CharField(_("value"), max_length=255, blank=True)
    message = models.CharField(_("reason"), max_length=500)

    class Meta:
        ordering = ["row", "id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "row", "column"], name="import_error_once")
        ]

    def __str__(self) -> str:
        return f"{self.row}/{self.column}: {self.message}"

"""The one place that turns the database into the analytics library's input table (STYLE rule 6).

Purchases are the orders that were sold (not cancelled, not returned) of customers that were
not merged away (a merge moves the orders to the surviving record, so nothing is lost). The day
of an order is its day in Tehran: an order at 01:00 Tehran time belongs to that Tehran day, not
to the UTC day before. One query streams the rows into Arrow record batches, so memory stays
bounded by the batch, not by the Python objects of a million orders.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa
from django.db.models.functions import TruncDate
from django.utils import timezone

from mehvar.customers.models import Order, OrderStatus

__all__ = ["NOT_SOLD", "PURCHASES_SCHEMA", "purchases_table"]

# The same rule as the customer pages' revenue figures (customers.views / selectors).
NOT_SOLD: Final = (OrderStatus.CANCELLED, OrderStatus.RETURNED)

PURCHASES_SCHEMA: Final = pa.schema(
    [
        pa.field("customer_id", pa.int64(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("amount", pa.float64(), nullable=False),
        # The invoice: two orders of one customer on one day for the same total are two
        # purchases, not an export appended twice (the library drops exact duplicate rows).
        pa.field("order_id", pa.int64(), nullable=False),
    ]
)

_BATCH: Final = 50_000


def purchases_table(*, batch_size: int = _BATCH) -> pa.Table:
    """Every sold order as (customer_id, Tehran date, amount in Rials, order_id), one per order.

    Several orders of one day stay separate rows: the library sums them into customer-days and
    reports what it cleaned, which it can only do when it sees the invoices.
    """
    rows = (
        Order.objects.filter(customer__merged_into__isnull=True)
        .exclude(status__in=NOT_SOLD)
        .annotate(day=TruncDate("placed_at", tzinfo=timezone.get_default_timezone()))
        .order_by()
        .values_list("customer_id", "day", "total", "id")
        .iterator(chunk_size=min(batch_size, 10_000))
    )
    batches: list[pa.RecordBatch] = []
    ids: list[int] = []
    days: list[object] = []
    amounts: list[float] = []
    orders: list[int] = []

    def flush() -> None:
        if ids:
            batches.append(
                pa.RecordBatch.from_arrays(
                    [
                        pa.array(ids, pa.int64()),
                        pa.array(days, pa.date32()),
                        pa.array(amounts, pa.float64()),
                        pa.array(orders, pa.int64()),
                    ],
                    schema=PURCHASES_SCHEMA,
                )
            )
            ids.clear()
            days.clear()
            amounts.clear()
            orders.clear()

    for customer_id, day, total, order_id in rows:
        ids.append(customer_id)
        days.append(day)
        amounts.append(float(total))
        orders.append(order_id)
        if len(ids) >= batch_size:
            flush()
    flush()
    return pa.Table.from_batches(batches, schema=PURCHASES_SCHEMA)

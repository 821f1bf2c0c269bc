"""Demo service desk: teams, categories, service levels, and a year of tickets on the demo company.

The tickets live through the same services as real ones (opened, answered, paused while the
customer answers, resolved, reopened, closed, surveyed), so their SLA figures, timeline events and
survey answers are exactly what the desk would have stored. To put them in the past the demo
replays each step at its historical time: while it runs, ``timezone.now()`` returns the replayed
moment (the services read the clock there) and nothing is queued for after the commit (the
replies, alerts and surveys of the past were delivered long ago). Rows whose time comes from a
model default instead are back-dated afterwards.

Compensation is the exception: the ledger refuses UPDATE (a database trigger), and its rows take
their time from the model default, so the demo writes its grants, approvals, reversals and
refunds straight into the ledger with their historical ``created_at`` — demo only — keeping every
team's month within its budget and every agent's grant within their limit, as the services
would. Everything is drawn from one seeded ``random.Random``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from unittest import mock

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mehvar.core.jalali import to_jalali
from mehvar.core.models import User
from mehvar.core.roles import Role
from mehvar.customers.models import Order, OrderStatus
from mehvar.feedback import responding, surveys, voice
from mehvar.feedback.loop import follow_up_update
from mehvar.feedback.models import FollowUp, FollowUpStatus, Invitation, Response, Survey
from mehvar.service import calendar_ir, canned, clock, returns, satisfaction, sla, tickets
from mehvar.service.compensation import (
    budget_of,
    compensation_decide,
    compensation_grant,
    compensation_reverse,
    limit_of,
)
from mehvar.service.models import (
    OPEN_STATUSES,
    CannedReply,
    Category,
    CompensationEntry,
    CompensationKind,
    CompensationRequest,
    DeskSettings,
    Holiday,
    InspectionResult,
    MessageKind,
    Priority,
    ReturnRequest,
    SlaPolicy,
    Team,
    Ticket,
    TicketChannel,
    TicketKind,
    TicketMessage,
    TicketStatus,
    WorkingDay,
)

SUPPORT, STORE = "پشتیبانی", "فروشگاه"
# Monthly compensation budgets in Rial: 6,000,000 and 4,000,000 Toman.
TEAMS: Final = ((SUPPORT, 60_000_000), (STORE, 40_000_000))
# Two more agents so the per-agent table compares people; they cannot log in (no password).
EXTRA_AGENTS: Final = (("service2", "مهسا", "نوری", SUPPORT), ("service3", "کاوه", "احمدی", STORE))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines()]


def _table(text: str) -> dict[str, list[tuple[str, ...]]]:
    """ "key: a | b" lines → {"key": [("a", "b"), …]}: the demo's words, one line each."""
    table: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for line in _lines(text):
        key, _colon, rest = line.partition(":")
        table[key.strip()].append(tuple(part.strip() for part in rest.split("|")))
    return dict(table)


CATEGORY_KEYS: Final = ("late", "quality", "billing", "returns", "staff", "question", "ordering")
LATE, QUALITY, BILLING, RETURNS, STAFF, QUESTION, ORDERING = CATEGORY_KEYS
# key: (Persian name, English name, team)
CATEGORIES: Final = {
    LATE: ("تاخیر در ارسال", "Late delivery", SUPPORT),
    QUALITY: ("کیفیت کالا", "Product quality", STORE),
    BILLING: ("صورتحساب", "Billing", SUPPORT),
    RETURNS: ("مرجوعی", "Returns", STORE),
    STAFF: ("رفتار کارکنان", "Staff behaviour", STORE),
    QUESTION: ("سوال محصول", "Product question", SUPPORT),
    ORDERING: ("ثبت سفارش", "Placing an order", SUPPORT),
}
# A complaint about staff is answered faster than the default: the customer is already upset.
STAFF_OVERRIDE: Final = {Priority.NORMAL: (60, 8 * 60), Priority.HIGH: (30, 4 * 60)}

# category: subject | what the customer wrote
WORDS: Final = _table("""
    late: سفارشم هنوز نرسیده | یک هفته از سفارشم گذشته و خبری نیست. کد رهگیری هم جواب نمی‌دهد.
    late: تاخیر در ارسال سفارش | قرار بود دو روزه برسد ولی پنج روز طول کشید و جعبه له شده بود.
    late: پیک نیامد | دیروز تا شب منتظر پیک ماندم و کسی نیامد، تماس هم نگرفتند.
    quality: کرم تاریخ گذشته بود | کرمی که خریدم دو ماه از تاریخ انقضایش گذشته بود.
    quality: ادکلن اصل نیست | بوی ادکلن با نمونهٔ فروشگاه فرق دارد، فکر می‌کنم اصل نیست.
    quality: درِ شامپو شکسته بود | شامپو نشتی داشت و نصفش توی کیسه ریخته بود.
    billing: مبلغ دو بار کسر شد | پول سفارشم دو بار از حسابم کم شده، لطفا بررسی کنید.
    billing: تخفیف اعمال نشد | کد تخفیف پیامک‌شده را زدم ولی در فاکتور حساب نشده.
    billing: فاکتور رسمی می‌خواهم | برای شرکت فاکتور رسمی با کد اقتصادی لازم دارم.
    returns: مرجوع کردن رژ لب | رنگ رژ لب با عکس سایت خیلی فرق دارد، می‌خواهم پس بدهم.
    returns: کالا را پس می‌دهم | اندازهٔ دستگاه برای من مناسب نیست و هنوز بازش نکرده‌ام.
    staff: برخورد نامناسب فروشنده | فروشندهٔ شعبه با بی‌حوصلگی جواب داد و حتی سلام نکرد.
    staff: پشتیبان تلفن را قطع کرد | وسط صحبت تلفن را قطع کردند و دیگر جواب ندادند.
    question: این کرم برای پوست چرب مناسب است؟ | پوستم چرب است، این کرم آبرسان جوش نمی‌زند؟
    question: موجودی رنگ ۲۰۳ | رنگ ۲۰۳ کرم پودر کی موجود می‌شود؟
    question: نحوهٔ استفاده از سرم | سرم ویتامین سی را صبح بزنم یا شب؟
    ordering: سایت سفارش را ثبت نمی‌کند | در مرحلهٔ پرداخت خطا می‌دهد و سفارش ثبت نمی‌شود.
    ordering: تغییر آدرس سفارش | آدرس تحویل را اشتباه زده‌ام، لطفا عوضش کنید.
""")
# category: what was done | why the customer was compensated
RESOLUTIONS: Final = _table("""
    late: سفارش با پیک ویژه ارسال شد و رسید | بابت تاخیر در ارسال
    late: با شرکت پست پیگیری شد و بسته تحویل شد | بابت تاخیر در ارسال
    quality: کالا تعویض شد | بابت کالای معیوب
    quality: کالای سالم جایگزین ارسال شد و عذرخواهی کردیم | بابت کالای معیوب
    billing: مبلغ اضافه به حساب مشتری برگشت | بابت اشتباه در صورتحساب
    billing: فاکتور اصلاح و دوباره ارسال شد | بابت اشتباه در صورتحساب
    returns: مرجوعی بررسی و نتیجه به مشتری اعلام شد | —
    staff: با فروشنده صحبت شد و از مشتری عذرخواهی کردیم | بابت برخورد نامناسب
    staff: موضوع به مدیر شعبه گزارش شد | بابت برخورد نامناسب
    question: راهنمایی کامل داده شد | —
    question: به مشتری اطلاع دادیم که کالا موجود شد | —
    ordering: سفارش به‌صورت تلفنی ثبت شد | —
    ordering: آدرس اصلاح شد | —
""")
# what: text (customer replies, reopening words, staff notes, CSAT comments)
SAYINGS: Final = {
    key: [row[0] for row in rows]
    for key, rows in _table("""
        reply: عکس کالا را فرستادم.
        reply: شمارهٔ سفارشم همان است که گفتم، لطفا پیگیری کنید.
        reply: ممنون، منتظر می‌مانم.
        reply: هنوز مشکل حل نشده!
        reopen: دوباره همان مشکل پیش آمد.
        reopen: کالای جایگزین هم همین ایراد را دارد.
        reopen: هنوز پولی به حسابم نیامده.
        note: با انبار تماس گرفتم، فردا ارسال می‌شود.
        note: مشتری قبلا هم همین شکایت را داشته.
        note: منتظر تایید مدیر شعبه هستیم.
        note: پیگیری از شرکت پست انجام شد.
        praise: سریع و محترمانه رسیدگی شد، ممنون
        praise: خیلی خوب پیگیری کردید
        praise: عالی بود
        complaint: خیلی طول کشید تا جواب بدهید
        complaint: مشکلم هنوز کامل حل نشده
        complaint: چند بار باید زنگ بزنم تا کسی جواب بدهد؟
    """).items()
}

# (title, Persian body, English body, category key or None)
CANNED: Final = (
    (
        "پاسخ اولیه",
        "{first_name} عزیز، سلام. درخواست شما با شمارهٔ {ticket} ثبت شد و در حال بررسی است. "
        "به‌زودی نتیجه را خبر می‌دهیم.\n{agent}، پشتیبانی نگین",
        "Dear {first_name}, your request {ticket} is registered and being looked into. "
        "We will let you know shortly.\n{agent}, Negin support",
        None,
    ),
    (
        "اطلاعات بیشتر",
        "{first_name} عزیز، برای پیگیری {ticket} لطفا عکس کالا و شمارهٔ سفارش را بفرستید.\n{agent}",
        "Dear {first_name}, to follow up {ticket} please send us a photo of the item and the "
        "order number.\n{agent}",
        None,
    ),
    (
        "عذرخواهی بابت تاخیر",
        "{first_name} عزیز، بابت تاخیر در ارسال سفارش شما صمیمانه عذرخواهی می‌کنیم. "
        "بسته امروز با پیک ویژه ارسال می‌شود ({ticket}).\n{agent}",
        "Dear {first_name}, we are sorry your order is late. It leaves today with a priority "
        "courier ({ticket}).\n{agent}",
        LATE,
    ),
    (
        "مراحل مرجوعی",
        "{first_name} عزیز، کالا را با فاکتور به نزدیک‌ترین شعبه بیاورید یا با پست بفرستید؛ "
        "پس از بررسی، مبلغ ظرف سه روز کاری برمی‌گردد ({ticket}).\n{agent}",
        "Dear {first_name}, bring the item with its invoice to any store or post it to us; once "
        "inspected, the money is back within three working days ({ticket}).\n{agent}",
        RETURNS,
    ),
    (
        "پایان پیگیری",
        "{first_name} عزیز، درخواست {ticket} انجام شد. اگر سوال دیگری دارید همین‌جا بنویسید.\n"
        "{agent}",
        "Dear {first_name}, request {ticket} is done. If anything else comes up, reply here.\n"
        "{agent}",
        None,
    ),
)

# (value, weight) pairs to draw from.
KIND_WEIGHTS: Final = tuple(zip(TicketKind.values, (50, 22, 16, 12), strict=True))
CATEGORY_OF_KIND: Final = {
    TicketKind.COMPLAINT: ((LATE, 40), (QUALITY, 30), (BILLING, 15), (STAFF, 15)),
    TicketKind.QUESTION: ((QUESTION, 80), (BILLING, 20)),
    TicketKind.REQUEST: ((ORDERING, 50), (BILLING, 30), (LATE, 20)),
    TicketKind.RETURN: ((RETURNS, 1),),
}
CHANNEL_WEIGHTS: Final = ((TicketChannel.PHONE, 30), (TicketChannel.WEB, 25),
    (TicketChannel.EMAIL, 15), (TicketChannel.IN_STORE, 20), (TicketChannel.STAFF, 10))  # fmt: skip
PRIORITY_WEIGHTS: Final = tuple(zip(Priority.values, (15, 55, 22, 8), strict=True))
COMPENSATION_WEIGHTS: Final = ((CompensationKind.VOUCHER, 55), (CompensationKind.FREE_SERVICE, 20),
    (CompensationKind.REFUND, 15), (CompensationKind.OTHER, 10))  # fmt: skip
_SOLD_EXCLUDED: Final = (OrderStatus.PENDING, OrderStatus.CANCELLED, OrderStatus.RETURNED)


@dataclass
class DemoReport:
    teams: int = 0
    categories: int = 0
    tickets: int = 0
    open_tickets: int = 0
    compensations: int = 0
    requests: int = 0
    returns: int = 0
    csat_answers: int = 0


@dataclass
class _Plan:
    at: datetime
    order: Order
    kind: str
    category: str
    channel: str
    priority: str
    # A recent ticket left hanging before this step: "reply", "wait" (for the customer's
    # answer), "resolve"; a return before the "goods" come, after they are "received" or
    # "accepted" (before the refund).
    stall: str = ""


class _Replay:
    """The moment the services see as "now" while the demo replays the past."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def _nothing_later(func: Any, using: Any = None, robust: bool = False) -> None:
    """Stands in for ``transaction.on_commit``: the past's messages were sent long ago."""


@contextmanager
def _replaying(start: datetime) -> Iterator[_Replay]:
    replay = _Replay(start)
    with (
        mock.patch("django.utils.timezone.now", replay.now),
        mock.patch("django.db.transaction.on_commit", _nothing_later),
    ):
        yield replay


def _weighted(rng: random.Random, pairs: Any) -> Any:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _month(at: datetime) -> tuple[int, int]:
    year, month, _day = to_jalali(at)
    return year, month


class _Desk:
    def __init__(self, *, rng: random.Random, now: datetime, replay: _Replay) -> None:
        self.rng = rng
        self.now = now
        self.replay = replay
        self.report = DemoReport()
        self.manager: User
        self.agents: dict[str, list[User]] = {}
        self.teams: dict[str, Team] = {}
        self.categories: dict[str, Category] = {}
        self.canned: dict[str | None, list[CannedReply]] = defaultdict(list)
        self.survey: Survey
        self.week: clock.WorkWeek
        self.sold: dict[int, list[datetime]] = defaultdict(list)
        self.grants: list[CompensationEntry] = []
        self.approvals_left = 2
        self.reversals_left = 1

    # --- The clock ---------------------------------------------------------------------------

    def at(self, moment: datetime) -> bool:
        """Move the replayed clock to ``moment``; False once it would pass the real now."""
        if moment > self.now:
            return False
        self.replay.at = moment
        return True

    def after(self, start: datetime, business_seconds: int) -> datetime:
        return clock.add_business_seconds(start, max(int(business_seconds), 60), self.week)

    # --- Set-up --------------------------------------------------------------------------------

    def staff(self) -> bool:
        manager = (
            User.objects.filter(username="manager", role=Role.MANAGER, is_active=True).first()
            or User.objects.filter(role__in=[Role.MANAGER, Role.ADMIN], is_active=True)
            .order_by("role", "pk")
            .first()
        )
        agents = list(User.objects.filter(role=Role.SERVICE, is_active=True).order_by("pk"))
        if manager is None or not agents:
            return False
        self.manager = manager
        self.agents = {SUPPORT: [agents[0]], STORE: []}
        for username, first, last, team in EXTRA_AGENTS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(
                    username=username,
                    password=None,  # unusable: a demo colleague, not a login
                    email=f"{username}@negin.example",
                    first_name=first,
                    last_name=last,
                    role=Role.SERVICE,
                    team="خدمات پس از فروش",
                )
            if user.role == Role.SERVICE and user.is_active and user not in agents[:1]:
                self.agents[team].append(user)
        for extra in agents[1:]:
            if all(extra not in members for members in self.agents.values()):
                self.agents[SUPPORT].append(extra)
        if not self.agents[STORE]:
            self.agents[STORE] = list(self.agents[SUPPORT])
        return True

    def settings(self) -> None:
        for name, budget in TEAMS:
            team, _created = Team.objects.get_or_create(
                name=name, defaults={"monthly_budget": budget, "lead": self.manager}
            )
            team.members.add(*self.agents[name])
            self.teams[name] = team
        self.report.teams = len(self.teams)
        for key, (name_fa, name_en, team_name) in CATEGORIES.items():
            self.categories[key], _created = Category.objects.get_or_create(
                name_fa=name_fa, defaults={"name_en": name_en, "team": self.teams[team_name]}
            )
        self.report.categories = len(self.categories)
        for priority, (response, resolution) in sla.DEFAULT_TARGETS.items():
            SlaPolicy.objects.get_or_create(
                category=None,
                priority=priority,
                defaults={"first_response_minutes": response, "resolution_minutes": resolution},
            )
        for priority, (response, resolution) in STAFF_OVERRIDE.items():
            SlaPolicy.objects.get_or_create(
                category=self.categories[STAFF],
                priority=priority,
                defaults={"first_response_minutes": response, "resolution_minutes": resolution},
            )
        week = clock.WorkWeek.iranian()
        for weekday, (opens, closes) in week.days.items():
            WorkingDay.objects.get_or_create(
                weekday=weekday, defaults={"opens": opens, "closes": closes}
            )
        # The tickets reach a year back, so last year's Nowruz matters as much as next year's.
        year = to_jalali(self.now)[0]
        for jalali_year in (year - 1, year, year + 1):
            for day, name_fa, _name_en in calendar_ir.fixed_holidays(jalali_year):
                Holiday.objects.get_or_create(day=day, defaults={"name": name_fa})
        for title, body_fa, body_en, category in CANNED:
            reply, _created = CannedReply.objects.get_or_create(
                title=title,
                defaults={
                    "body_fa": body_fa,
                    "body_en": body_en,
                    "category": self.categories[category] if category else None,
                },
            )
            self.canned[category].append(reply)
        desk = DeskSettings.current()
        survey = desk.csat_survey or self._csat_survey()
        desk.default_team = desk.default_team or self.teams[SUPPORT]
        desk.csat_survey = survey
        desk.save(update_fields=["default_team", "csat_survey"])
        self.survey = survey
        self.week = sla.work_week(around=self.now)

    def _csat_survey(self) -> Survey:
        survey = surveys.survey_save(
            actor=self.manager,
            data={
                "title_fa": "رضایت از پشتیبانی",
                "title_en": "Satisfaction with support",
                "intro_fa": "درخواست شما به پایان رسید. نظرتان دربارهٔ رسیدگی ما چیست؟",
                "intro_en": "Your request is done. How did we handle it?",
                "thanks_fa": "از پاسخ شما سپاسگزاریم.",
                "thanks_en": "Thank you for answering.",
                "touchpoint": "پشتیبانی",
                "department": "service",
                "questions": [
                    {
                        "key": "csat",
                        "kind": "csat",
                        "text_fa": "از رسیدگی به درخواستتان چقدر راضی هستید؟",
                        "text_en": "How satisfied are you with how we handled your request?",
                    },
                    {
                        "key": "comment",
                        "kind": "text",
                        "text_fa": "اگر نکته‌ای دارید بنویسید",
                        "text_en": "Anything you would like to add?",
                        "required": False,
                    },
                ],
            },
        )
        survey = surveys.survey_set_status(actor=self.manager, survey=survey, status="active")
        Survey.objects.filter(pk=survey.pk).update(created_at=self.now - timedelta(days=380))
        return survey

    # --- Planning ------------------------------------------------------------------------------

    def plans(self, count: int) -> list[_Plan]:
        rng = self.rng
        since = self.now - timedelta(days=365)
        orders = list(
            Order.objects.filter(
                placed_at__gte=since,
                placed_at__lte=self.now - timedelta(days=1),
                customer__merged_into__isnull=True,
            )
            .exclude(status__in=_SOLD_EXCLUDED)
            .select_related("customer")
            .order_by("pk")
        )
        if not orders:
            return []
        for customer_id, placed_at in (
            Order.objects.filter(placed_at__gte=since)
            .exclude(status__in=_SOLD_EXCLUDED)
            .order_by("placed_at")
            .values_list("customer_id", "placed_at")
        ):
            self.sold[customer_id].append(placed_at)
        plans = self.open_returns(orders, count)
        while len(plans) < count:
            order = rng.choice(orders)
            kind = _weighted(rng, KIND_WEIGHTS)
            # A return comes within the money-back guarantee (7 days); the rest a little later.
            days = rng.uniform(1, 6) if kind == TicketKind.RETURN else rng.uniform(0.5, 12)
            at = order.placed_at + timedelta(days=days)
            if at > self.now - timedelta(hours=2):
                continue
            plan = _Plan(
                at=at,
                order=order,
                kind=kind,
                category=_weighted(rng, CATEGORY_OF_KIND[kind]),
                channel=_weighted(rng, CHANNEL_WEIGHTS),
                priority=_weighted(rng, PRIORITY_WEIGHTS),
            )
            plans.append(plan)
            # About one complaint in six comes back about the same order within two weeks.
            if kind == TicketKind.COMPLAINT and rng.random() < 0.17 and len(plans) < count:
                again = at + timedelta(days=rng.uniform(1, 10))
                if again < self.now - timedelta(hours=2):
                    plans.append(
                        _Plan(
                            at=again,
                            order=order,
                            kind=kind,
                            category=plan.category,
                            channel=rng.choice([TicketChannel.PHONE, TicketChannel.WEB]),
                            priority=Priority.HIGH,
                        )
                    )
        plans.sort(key=lambda p: p.at)
        # A few recent tickets are left hanging, so "open" and "overdue" show something.
        recent = [
            p for p in plans if p.at > self.now - timedelta(days=14) and p.kind != TicketKind.RETURN
        ]
        stalls = ["reply", "wait", "resolve", "reply", "wait", "resolve"]
        for plan, stall in zip(rng.sample(recent, min(len(recent), 6)), stalls, strict=False):
            plan.stall = stall
        return plans

    def open_returns(self, orders: list[Order], count: int) -> list[_Plan]:
        """Up to three returns of the last days, waiting for the goods, inspection or refund."""
        fresh = [
            o
            for o in orders
            if self.now - timedelta(days=6) < o.placed_at < self.now - timedelta(days=3)
        ]
        plans = []
        for order, stall in zip(
            self.rng.sample(fresh, min(len(fresh), 3, count)),
            ["goods", "received", "accepted"],
            strict=False,
        ):
            plans.append(
                _Plan(
                    at=order.placed_at + timedelta(hours=self.rng.uniform(1, 12)),
                    order=order,
                    kind=TicketKind.RETURN,
                    category=RETURNS,
                    channel=TicketChannel.IN_STORE,
                    priority=Priority.NORMAL,
                    stall=stall,
                )
            )
        return plans

    # --- One ticket's life ---------------------------------------------------------------------

    def agent_for(self, category: str) -> User:
        members = self.agents[CATEGORIES[category][2]]
        # The first agent of a team takes more of its work: the table should show a difference.
        weights = [3] + [2] * (len(members) - 1)
        return self.rng.choices(members, weights=weights)[0]

    def reply_text(self, ticket: Ticket, agent: User, category: str, *, last: bool) -> str:
        if last:
            choices = [r for r in self.canned[None] if r.title == "پایان پیگیری"]
        else:
            choices = self.canned[category] or self.canned[None][:2]
        reply = self.rng.choice(choices or self.canned[None])
        return canned.render_for(reply, ticket=ticket, agent=agent, language="fa").text

    def live(self, plan: _Plan) -> None:
        """Open the ticket and take it as far as the real now allows."""
        rng = self.rng
        subject, body = rng.choice(WORDS[plan.category])
        agent = self.agent_for(plan.category)
        self.at(plan.at)
        line = plan.order.lines.select_related("product").first()
        ticket = tickets.ticket_create(
            actor=None if plan.channel in (TicketChannel.WEB, TicketChannel.EMAIL) else agent,
            customer=plan.order.customer,
            subject=subject,
            body=body,
            channel=plan.channel,
            kind=plan.kind,
            priority=plan.priority,
            category=self.categories[plan.category],
            order=plan.order,
            product=line.product if line is not None else None,
            assignee=agent,
            created_at=plan.at,
        )
        self.report.tickets += 1
        ret = None
        if plan.kind == TicketKind.RETURN and line is not None:
            ret = returns.return_request(
                actor=agent, line=line, quantity=1, reason=body, ticket=ticket, now=plan.at
            )
            self.report.returns += 1
        if plan.stall == "reply":
            return
        # Most first replies come well within the target; the tail is what breaches look like.
        response_delay = ticket.sla_response_minutes * 60 * rng.lognormvariate(-1.0, 0.75)
        talked = self.conversation(ticket, plan, agent, self.after(plan.at, int(response_delay)))
        if talked is not None and ret is not None:
            talked = self.return_steps(ret, ticket, agent, talked, plan.stall)
        if talked is None or plan.stall == "resolve":
            return
        if ret is not None:
            moment = self.after(talked, rng.randint(900, 7200))
        else:
            total = ticket.sla_resolution_minutes * 60 * rng.lognormvariate(-1.0, 0.65)
            moment = self.after(talked, int(max(total - response_delay, 900)))
        if not self.at(moment):
            return
        if plan.kind == TicketKind.COMPLAINT:
            self.compensate(ticket, plan, agent, moment - timedelta(minutes=5))
        self.resolve(ticket, agent, plan.category, moment)
        self.survey_answer(ticket, moment)
        self.afterwards(ticket, plan, agent, moment)

    def conversation(
        self, ticket: Ticket, plan: _Plan, agent: User, moment: datetime
    ) -> datetime | None:
        """The first reply, perhaps a wait for the customer and a note (None: not yet)."""
        rng = self.rng
        if not self.at(moment):
            return None
        # A return waits for the goods: the clock stops until the customer sends them.
        sending = plan.kind == TicketKind.RETURN
        wait = sending or plan.stall == "wait" or rng.random() < 0.2
        tickets.message_add(
            actor=agent,
            ticket=ticket,
            kind=MessageKind.REPLY,
            body=self.reply_text(ticket, agent, plan.category, last=False),
            wait_for_customer=wait,
        )
        if wait:
            moment += timedelta(hours=rng.uniform(2, 30 if sending else 60))
            if plan.stall in ("wait", "goods") or not self.at(moment):
                return None
            tickets.message_add(
                actor=None,
                ticket=ticket,
                kind=MessageKind.CUSTOMER,
                body="کالا را با پست فرستادم." if sending else rng.choice(SAYINGS["reply"]),
            )
        if rng.random() < 0.3:
            moment = self.after(moment, rng.randint(600, 7200))
            if not self.at(moment):
                return None
            tickets.message_add(
                actor=self.manager if rng.random() < 0.4 else agent,
                ticket=ticket,
                kind=MessageKind.NOTE,
                body=rng.choice(SAYINGS["note"]),
            )
        return moment

    def afterwards(self, ticket: Ticket, plan: _Plan, agent: User, resolved: datetime) -> None:
        """About one resolution in ten does not hold; most resolved tickets are closed later."""
        rng = self.rng
        if rng.random() < 0.08:
            moment = resolved + timedelta(days=rng.uniform(1, 4))
            if not self.at(moment):
                return
            tickets.message_add(
                actor=None,
                ticket=ticket,
                kind=MessageKind.CUSTOMER,
                body=rng.choice(SAYINGS["reopen"]),
            )
            moment = self.after(moment, rng.randint(1800, 4 * 3600))
            if not self.at(moment):
                return
            tickets.message_add(
                actor=agent,
                ticket=ticket,
                kind=MessageKind.REPLY,
                body=self.reply_text(ticket, agent, plan.category, last=False),
            )
            moment = self.after(moment, rng.randint(3600, 8 * 3600))
            if not self.at(moment):
                return
            self.resolve(ticket, agent, plan.category, moment)
            resolved = moment
        if rng.random() < 0.6 and self.at(resolved + timedelta(days=5)):
            tickets.ticket_transition(actor=agent, ticket=ticket, status=TicketStatus.CLOSED)

    def resolve(self, ticket: Ticket, agent: User, category: str, moment: datetime) -> None:
        self.at(moment - timedelta(minutes=2))
        tickets.message_add(
            actor=agent,
            ticket=ticket,
            kind=MessageKind.REPLY,
            body=self.reply_text(ticket, agent, category, last=True),
        )
        self.at(moment)
        tickets.ticket_transition(
            actor=agent,
            ticket=ticket,
            status=TicketStatus.RESOLVED,
            resolution=self.rng.choice(RESOLUTIONS[category])[0],
        )

    # --- Returns -------------------------------------------------------------------------------

    def return_steps(
        self, ret: ReturnRequest, ticket: Ticket, agent: User, moment: datetime, stall: str
    ) -> datetime | None:
        """Receive, inspect and refund, each when its day has come (None: not yet)."""
        rng = self.rng
        moment = self.after(moment, rng.randint(3600, 4 * 3600))
        if not self.at(moment):
            return None
        ret = returns.return_receive(actor=agent, ret=ret)
        moment = self.after(moment, rng.randint(3600, 6 * 3600))
        if stall == "received" or not self.at(moment):
            return None
        accept = stall == "accepted" or rng.random() < 0.75
        ret = returns.return_inspect(
            actor=agent,
            ret=ret,
            result=rng.choice([InspectionResult.AS_NEW, InspectionResult.NOT_AS_DESCRIBED])
            if accept
            else InspectionResult.DAMAGED_BY_USE,
            accept=accept,
            note="" if accept else "بسته باز و کالا استفاده شده است",
        )
        if not accept:
            return moment
        moment = self.after(moment, rng.randint(1800, 4 * 3600))
        if stall == "accepted" or not self.at(moment):
            return None
        # Above the agent's own limit a manager pays it, as ``returns.return_refund`` demands.
        payer = agent if (ret.refund_amount or 0) <= limit_of(agent) else self.manager
        self.at(moment)
        returns.return_refund(actor=payer, ret=ret)
        return moment

    # --- Compensation --------------------------------------------------------------------------

    def fits(self, ticket: Ticket, amount: int) -> bool:
        """Within the team's budget this (replayed) month: the demo skips a grant rather than
        be refused, as an agent who sees the budget on the page would."""
        team = self.teams_by_id.get(ticket.team_id or 0)
        return team is not None and amount <= budget_of(team).left

    @property
    def teams_by_id(self) -> dict[int, Team]:
        return {team.pk: team for team in self.teams.values()}

    def ask(
        self, ticket: Ticket, agent: User, kind: str, amount: int, reason: str, at: datetime
    ) -> CompensationRequest | None:
        """A grant above the agent's limit: the service makes it a request for approval."""
        if amount <= limit_of(agent):
            return None
        self.at(at)
        request = compensation_grant(
            actor=agent, ticket=ticket, kind=kind, amount=amount, reason=reason
        )
        if not isinstance(request, CompensationRequest):
            return None
        CompensationRequest.objects.filter(pk=request.pk).update(requested_at=at)
        self.report.requests += 1
        return request

    def pending_request(self) -> None:
        """One request still waiting for a manager, on the newest open complaint."""
        ticket = (
            Ticket.objects.filter(
                status__in=OPEN_STATUSES, kind=TicketKind.COMPLAINT, assignee__isnull=False
            )
            .select_related("assignee", "customer")
            .order_by("-created_at")
            .first()
        )
        if ticket is None or ticket.assignee is None:
            return
        at = min(ticket.created_at + timedelta(hours=2), self.now)
        self.ask(ticket, ticket.assignee, CompensationKind.VOUCHER, 8_000_000, "بابت تاخیر", at)

    def compensate(self, ticket: Ticket, plan: _Plan, agent: User, at: datetime) -> None:
        rng = self.rng
        # SYNTHETIC: complainants who will buy again are compensated more often here, so the
        # dashboard's effect card has a difference to show. Real data decides for itself.
        soon = at + timedelta(days=100)
        buys_again = any(at < bought <= soon for bought in self.sold[ticket.customer_id])
        if rng.random() >= (0.5 if buys_again else 0.3):
            return
        self.at(at)
        kind = _weighted(rng, COMPENSATION_WEIGHTS)
        why = RESOLUTIONS[plan.category][0][1]
        reason = why if why != "—" else "بابت نارضایتی مشتری"
        if self.approvals_left > 0 and at < self.now - timedelta(days=30):
            amount = rng.choice([8_000_000, 10_000_000, 12_000_000])
            if not self.fits(ticket, amount):
                return
            request = self.ask(ticket, agent, kind, amount, reason, at)
            if request is None:
                return
            self.approvals_left -= 1
            self.at(at + timedelta(minutes=5))
            compensation_decide(actor=self.manager, request=request, approve=True)
            self.report.compensations += 1
            return
        amount = rng.choice([500_000, 1_000_000, 1_500_000, 2_000_000, 3_000_000, 4_500_000])
        if amount > limit_of(agent) or not self.fits(ticket, amount):
            return
        entry = compensation_grant(
            actor=agent, ticket=ticket, kind=kind, amount=amount, reason=reason
        )
        if not isinstance(entry, CompensationEntry):
            return  # cannot happen within the agent's limit; a request would wait for approval
        self.report.compensations += 1
        self.grants.append(entry)
        if self.reversals_left and len(self.grants) == 5:
            self.reversals_left -= 1
            self.at(at + timedelta(minutes=30))
            compensation_reverse(
                actor=self.manager,
                entry=entry,
                reason="کد تخفیف دو بار صادر شده بود؛ یکی باطل شد",
            )

    # --- Satisfaction --------------------------------------------------------------------------

    def survey_answer(self, ticket: Ticket, resolved: datetime) -> None:
        """Invite after resolution (as the desk does) and, for about half, the answer."""
        rng = self.rng
        if rng.random() > 0.85:
            return  # the customer turned the survey down on the phone
        invitation = satisfaction.satisfaction_invite(ticket.pk)
        if invitation is None:
            return
        Invitation.objects.filter(pk=invitation.pk).update(sent_at=resolved)
        answered = resolved + timedelta(hours=rng.uniform(1, 30))
        if rng.random() > 0.55 or not self.at(answered):
            return
        ticket.refresh_from_db()
        late = (ticket.response_seconds or 0) > ticket.sla_response_minutes * 60 or (
            ticket.resolution_seconds or 0
        ) > ticket.sla_resolution_minutes * 60
        weights = [15, 20, 25, 25, 15] if late else [3, 5, 12, 35, 45]
        score = rng.choices([1, 2, 3, 4, 5], weights=weights)[0]
        raw: dict[str, Any] = {"csat": score}
        if rng.random() < 0.35:
            raw["comment"] = rng.choice(SAYINGS["praise" if score >= 4 else "complaint"])
        response = responding.response_for_invitation(invitation)
        response, errors = responding.answers_save(response=response, raw=raw, submit=True)
        if errors:  # the demo's own answers are valid; fail loudly if they ever are not
            raise ValueError(errors)
        Response.objects.filter(pk=response.pk).update(started_at=answered - timedelta(minutes=2))
        voice.response_words_read(response.pk)
        self.report.csat_answers += 1
        # An unhappy answer (or comment) opened follow-ups just now; their alert went long ago.
        opened = FollowUp.objects.filter(
            customer_id=ticket.customer_id, created_at=answered, alerted_at__isnull=True
        )
        for follow_up in list(opened):
            FollowUp.objects.filter(pk=follow_up.pk).update(alerted_at=answered)
            moment = answered + timedelta(hours=rng.uniform(2, 30))
            if self.at(moment):
                follow_up_update(
                    actor=self.manager,
                    follow_up=follow_up,
                    status=FollowUpStatus.RESOLVED,
                    resolution="با مشتری تماس گرفتیم و عذرخواهی کردیم",
                )


def has_tickets() -> bool:
    return Ticket.objects.exists()


@transaction.atomic
def service_demo(
    *, tickets_count: int = 200, seed: int = 5, now: datetime | None = None
) -> DemoReport:
    """Fill the service desk from the demo company (staff, customers, orders); all or nothing.

    Returns an empty report when there is no manager, no service agent or no recent order.
    """
    now = now or timezone.now()
    rng = random.Random(seed)  # noqa: S311 - demo data is random by design, not a secret
    before = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with _replaying(now - timedelta(days=400)) as replay:
        desk = _Desk(rng=rng, now=now, replay=replay)
        if not desk.staff():
            return desk.report
        replay.at = now
        desk.settings()
        plans = desk.plans(tickets_count)
        if not plans:
            return desk.report
        for plan in plans:
            desk.live(plan)
        desk.pending_request()
    # The demo's replies of the past were delivered when they were written.
    TicketMessage.objects.filter(
        ticket_id__gt=before, kind=MessageKind.REPLY, sent_at__isnull=True
    ).update(sent_at=F("created_at"))
    desk.report.open_tickets = Ticket.objects.filter(
        pk__gt=before, status__in=OPEN_STATUSES
    ).count()
    return desk.report

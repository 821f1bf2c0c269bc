"""Demo feedback: three surveys and a year of answers from the demo customers.

Answers go through the same services as real ones (invitation → response → answers → submit →
comments → follow-ups), then their times are moved back into the past, so the dashboard, the
wall and every customer's timeline look like a shop that has listened for a while. Comments are
written by hand below, in the informal Persian customers actually type.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from mehvar.core.models import EventKind, TimelineEvent, User
from mehvar.core.roles import Role
from mehvar.customers.models import Customer, Product
from mehvar.feedback import responding, surveys, voice
from mehvar.feedback.loop import follow_up_update
from mehvar.feedback.models import (
    Answer,
    Comment,
    FollowUp,
    Invitation,
    Response,
    Survey,
)

PRAISE = [
    "خیلی سریع به دستم رسید، بسته‌بندی هم عالی بود",
    "فروشنده خیلی با حوصله راهنماییم کرد، ممنون",
    "کیفیت جنس‌ها عالیه، همیشه از شما خرید می‌کنم",
    "قیمت‌ها منصفانه‌ست و برخورد پرسنل خوبه",
    "پشتیبانی سریع جواب داد و مشکلم حل شد",
    "همه چی عالی بود، دمتون گرم",
    "محصول دقیقا همونی بود که تو عکس دیدم",
    "ارسال رایگان خیلی خوب بود، باز هم سفارش میدم",
]
COMPLAINTS = [
    "سفارشم سه روز دیر رسید و کسی هم جواب تلفن رو نداد",
    "جنس خراب بود و برای مرجوعی خیلی اذیت شدم",
    "قیمت‌ها نسبت به بقیه فروشگاه‌ها گرونه",
    "فروشنده اصلا حوصله نداشت و بداخلاق بود",
    "بسته‌بندی پاره شده بود و یکی از اقلام کم بود",
    "پیامک تخفیف اومد ولی کدش کار نکرد",
    "گارانتی رو قبول نکردن، خیلی ناراحتم",
]
LUKEWARM = [
    "معمولی بود",
    "سفارش رسید، هنوز استفاده نکردم",
    "ساعت کاری شعبه رو لطفا طولانی‌تر کنید",
]
KANO_FEATURES = [
    ("free_delivery", "ارسال رایگان", "Free delivery", (0.45, 0.35, 0.12, 0.08)),
    ("gift_wrap", "کادوپیچی رایگان", "Free gift wrapping", (0.55, 0.1, 0.05, 0.3)),
    ("warranty", "گارانتی تعویض ۷ روزه", "7-day exchange warranty", (0.1, 0.3, 0.5, 0.1)),
]
# (functional, dysfunctional) answers that land in each Kano category, to draw from.
_KANO_PAIRS = {
    "attractive": [("like", "neutral"), ("like", "live_with"), ("like", "must_be")],
    "one_dimensional": [("like", "dislike")],
    "must_be": [("neutral", "dislike"), ("must_be", "dislike"), ("live_with", "dislike")],
    "indifferent": [("neutral", "neutral"), ("live_with", "live_with"), ("neutral", "live_with")],
}


@dataclass
class DemoReport:
    surveys: int = 0
    responses: int = 0
    comments: int = 0
    follow_ups: int = 0


def _after_purchase(product: Product | None) -> dict[str, Any]:
    return {
        "title_fa": "نظرسنجی پس از خرید",
        "title_en": "After your purchase",
        "intro_fa": "نظر شما به ما کمک می‌کند بهتر شویم. کمتر از یک دقیقه وقت می‌گیرد.",
        "intro_en": "Your opinion helps us improve. It takes less than a minute.",
        "thanks_fa": "از وقتی که گذاشتید سپاسگزاریم!",
        "thanks_en": "Thank you for your time!",
        "touchpoint": "پس از خرید",
        "department": "sales",
        "product_id": product.pk if product else None,
        "public_enabled": True,
        "questions": [
            {
                "key": "nps",
                "kind": "nps",
                "text_fa": "چقدر احتمال دارد ما را به دوستان خود توصیه کنید؟",
                "text_en": "How likely are you to recommend us to a friend?",
            },
            {
                "key": "why",
                "kind": "text",
                "text_fa": "چه چیزی باعث ناراحتی شما شد؟",
                "text_en": "What disappointed you?",
                "required": False,
                "show_if": {"key": "nps", "op": "lte", "value": 6},
            },
            {
                "key": "csat",
                "kind": "csat",
                "text_fa": "از این خرید چقدر راضی هستید؟",
                "text_en": "How satisfied are you with this purchase?",
            },
            {
                "key": "ces",
                "kind": "ces",
                "text_fa": "انجام خرید چقدر آسان بود؟",
                "text_en": "How easy was it to buy?",
                "required": False,
            },
            {
                "key": "comment",
                "kind": "text",
                "text_fa": "اگر حرف دیگری دارید بنویسید",
                "text_en": "Anything else you would like to tell us?",
                "required": False,
            },
        ],
    }


def _service_quality() -> dict[str, Any]:
    return {
        "title_fa": "کیفیت خدمات ما",
        "title_en": "Our service quality",
        "touchpoint": "خدمات پس از فروش",
        "department": "service",
        "questions": [
            {
                "key": "quality",
                "kind": "quality",
                "text_fa": "به هر یک از این موارد از ۱ تا ۵ نمره دهید",
                "text_en": "Rate each from 1 to 5",
            },
            {
                "key": "csat",
                "kind": "csat",
                "text_fa": "در مجموع چقدر از خدمات ما راضی هستید؟",
                "text_en": "Overall, how satisfied are you with our service?",
            },
            {
                "key": "channel",
                "kind": "single",
                "text_fa": "معمولا از کجا خرید می‌کنید؟",
                "text_en": "Where do you usually buy?",
                "required": False,
                "choices": [
                    {"value": "store", "fa": "فروشگاه", "en": "In store"},
                    {"value": "web", "fa": "سایت", "en": "Website"},
                    {"value": "phone", "fa": "تلفنی", "en": "By phone"},
                ],
            },
        ],
    }


def _kano() -> dict[str, Any]:
    questions = []
    for key, fa, en, _weights in KANO_FEATURES:
        questions.append(
            {
                "key": key,
                "kind": "kano",
                "feature_fa": fa,
                "feature_en": en,
                "text_fa": f"اگر «{fa}» داشته باشیم، چه احساسی دارید؟",
                "text_en": f"If we offer {en.lower()}, how do you feel?",
                "alt_text_fa": f"اگر «{fa}» نداشته باشیم، چه احساسی دارید؟",
                "alt_text_en": f"If we do not offer {en.lower()}, how do you feel?",
            }
        )
    return {
        "title_fa": "کدام امکانات برای شما مهم است؟",
        "title_en": "Which features matter to you?",
        "touchpoint": "باشگاه مشتریان",
        "department": "marketing",
        "questions": questions,
    }


def _nps_score(rng: random.Random) -> int:
    return rng.choices(range(11), weights=[2, 1, 1, 2, 2, 3, 4, 7, 10, 13, 12])[0]


def _answers_after_purchase(rng: random.Random) -> dict[str, Any]:
    nps = _nps_score(rng)
    csat = max(1, min(5, round(nps / 2.2 + rng.uniform(-0.8, 0.8))))
    raw: dict[str, Any] = {"nps": nps, "csat": csat, "ces": rng.randint(max(1, nps // 2), 7)}
    if nps <= 6 and rng.random() < 0.8:
        raw["why"] = rng.choice(COMPLAINTS)
    elif nps >= 9 and rng.random() < 0.5:
        raw["comment"] = rng.choice(PRAISE)
    elif rng.random() < 0.15:
        raw["comment"] = rng.choice(LUKEWARM)
    return raw


def _answers_quality(rng: random.Random) -> dict[str, Any]:
    base = rng.randint(2, 5)
    grid = {
        code: max(1, min(5, base + rng.choice((-1, 0, 0, 1))))
        for code in ("product", "service", "after_sales", "flexibility", "competence")
    }
    grid["reliability"] = max(1, min(5, base + rng.choice((-1, 0, 1))))
    return {"quality": grid, "csat": base, "channel": rng.choice(("store", "web", "phone"))}


def _answers_kano(rng: random.Random) -> dict[str, Any]:
    raw = {}
    for key, _fa, _en, weights in KANO_FEATURES:
        category = rng.choices(list(_KANO_PAIRS), weights=weights)[0]
        functional, dysfunctional = rng.choice(_KANO_PAIRS[category])
        raw[key] = {"functional": functional, "dysfunctional": dysfunctional}
    return raw


def _back_date(response: Response, at: datetime) -> None:
    """Move one answered response and everything it caused to ``at``."""
    Response.objects.filter(pk=response.pk).update(
        started_at=at - timedelta(minutes=3), submitted_at=at
    )
    Answer.objects.filter(response=response).update(answered_at=at)
    if response.invitation_id:
        # Sent long ago: the delivery task queued for it finds it sent and stays quiet.
        Invitation.objects.filter(pk=response.invitation_id).update(
            created_at=at - timedelta(days=1),
            sent_at=at - timedelta(days=1),
            opened_at=at - timedelta(minutes=3),
            completed_at=at,
            expires_at=at + timedelta(days=13),
        )
        TimelineEvent.objects.filter(
            ref_type="feedback.invitation", ref_id=str(response.invitation_id)
        ).update(occurred_at=at - timedelta(days=1))
    TimelineEvent.objects.filter(ref_type="feedback.response", ref_id=str(response.pk)).update(
        occurred_at=at
    )
    answer_ids = [
        str(pk) for pk in Answer.objects.filter(response=response).values_list("pk", flat=True)
    ]
    Comment.objects.filter(ref_type="feedback.answer", ref_id__in=answer_ids).update(occurred_at=at)


def _work_follow_up(follow_up: FollowUp, at: datetime, rng: random.Random) -> None:
    """Most unhappy customers were called back within a day or two; some still wait."""
    actor = follow_up.assignee
    if actor is None or (at > timezone.now() - timedelta(days=3) and rng.random() < 0.6):
        FollowUp.objects.filter(pk=follow_up.pk).update(
            created_at=at, due_at=at + timedelta(hours=24), alerted_at=at
        )
        return
    follow_up_update(actor=actor, follow_up=follow_up, status="contacted")
    if rng.random() < 0.8:
        follow_up_update(
            actor=actor,
            follow_up=follow_up,
            status="resolved",
            resolution=rng.choice(
                [
                    "تماس گرفتیم و عذرخواهی کردیم، کد تخفیف ۲۰٪ دادیم",
                    "کالا تعویض شد",
                    "هزینه ارسال برگشت داده شد",
                ]
            ),
        )
    contacted = at + timedelta(hours=rng.uniform(1, 40))
    resolved = contacted + timedelta(hours=rng.uniform(1, 72))
    follow_up.refresh_from_db()
    FollowUp.objects.filter(pk=follow_up.pk).update(
        created_at=at,
        due_at=at + timedelta(hours=24),
        alerted_at=at,
        contacted_at=contacted,
        resolved_at=resolved if follow_up.resolved_at else None,
    )
    TimelineEvent.objects.filter(
        ref_type="feedback.followup", ref_id=str(follow_up.pk), kind=EventKind.FOLLOW_UP_UPDATED
    ).update(occurred_at=resolved if follow_up.resolved_at else contacted)
    TimelineEvent.objects.filter(
        ref_type="feedback.followup", ref_id=str(follow_up.pk), kind=EventKind.FOLLOW_UP_OPENED
    ).update(occurred_at=at)


@transaction.atomic
def feedback_demo(*, responses: int = 240, seed: int = 11) -> DemoReport:
    """Fill an empty feedback app from the demo customers (those with orders); all or nothing."""
    rng = random.Random(seed)
    report = DemoReport()
    lead = User.objects.filter(role__in=[Role.ADMIN, Role.MANAGER], is_active=True).first()
    seller = User.objects.filter(role=Role.SALES, is_active=True).first() or lead
    if lead is None or seller is None:
        return report
    customers = list(
        Customer.objects.filter(
            merged_into__isnull=True, orders__isnull=False, mobile__isnull=False
        )
        .exclude(consents__channel="sms", consents__status="withdrawn")
        .distinct()
        .order_by("pk")[: responses * 3]
    )
    if not customers:
        return report
    product = Product.objects.order_by("pk").first()
    built = []
    for data in (_after_purchase(product), _service_quality(), _kano()):
        survey = surveys.survey_save(actor=lead, data=data)
        built.append(surveys.survey_set_status(actor=lead, survey=survey, status="active"))
    report.surveys = len(built)
    surveys.trigger_rule_save(actor=lead, survey=built[0], data={"delay_days": 2, "channel": "sms"})
    makers = (_answers_after_purchase, _answers_quality, _answers_kano)
    now = timezone.now()
    for number in range(responses):
        which = rng.choices((0, 1, 2), weights=(6, 2, 2))[0]
        customer = rng.choice(customers)
        at = now - timedelta(days=rng.uniform(0.2, 360) ** 1.0)
        with transaction.atomic():  # the answer's on-commit work runs at the demo's end
            invitation = responding.invitation_create(
                actor=seller, survey=built[which], customer=customer, channel="sms",
                trigger_key=f"demo:{number}",
            )  # fmt: skip
            response = responding.response_for_invitation(invitation)
            response, errors = responding.answers_save(
                response=response, raw=makers[which](rng), submit=True
            )
            if errors:  # the demo's own data is valid; fail loudly if it ever is not
                raise ValueError(errors)
            voice.response_words_read(response.pk)
            _back_date(response, at)
        report.responses += 1
    for follow_up in FollowUp.objects.select_related("response", "assignee"):
        answered = follow_up.response.submitted_at if follow_up.response else None
        _work_follow_up(follow_up, answered or now, rng)
    report.comments = Comment.objects.count()
    report.follow_ups = FollowUp.objects.count()
    voice.staff_words_sweep(batch=2000)
    return report


def has_feedback() -> bool:
    return Survey.objects.exists()

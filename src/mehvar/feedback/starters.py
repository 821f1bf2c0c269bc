"""Ready-made surveys the builder offers on "new survey": a quick start, saved only on "save".

Each is a :class:`schemas.SurveyIn`-shaped dict in Persian and English; the builder fills its
form with one and the person edits it before saving.
"""

from __future__ import annotations

from typing import Any, Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mehvar.feedback.models import QuestionKind

_NPS_WHY: Final[dict[str, Any]] = {
    "title_fa": "پیشنهاد ما به دیگران",
    "title_en": "Would you recommend us?",
    "intro_fa": "پاسخ به این نظرسنجی کمتر از یک دقیقه وقت می‌گیرد.",
    "intro_en": "This survey takes less than a minute.",
    "thanks_fa": "از وقتی که گذاشتید سپاسگزاریم.",
    "thanks_en": "Thank you for your time.",
    "touchpoint": "",
    "questions": [
        {
            "key": "q1",
            "kind": QuestionKind.NPS.value,
            "text_fa": "چقدر احتمال دارد ما را به دوستان یا همکاران خود پیشنهاد کنید؟",
            "text_en": "How likely are you to recommend us to a friend or colleague?",
            "required": True,
        },
        {
            "key": "q2",
            "kind": QuestionKind.TEXT.value,
            "text_fa": "چه چیزی باعث نارضایتی شما شد؟",
            "text_en": "What disappointed you?",
            "required": False,
            "show_if": {"key": "q1", "op": "lte", "value": 6},
        },
        {
            "key": "q3",
            "kind": QuestionKind.TEXT.value,
            "text_fa": "چه چیزی را بیشتر پسندیدید؟",
            "text_en": "What did you like most?",
            "required": False,
            "show_if": {"key": "q1", "op": "gte", "value": 7},
        },
    ],
}

_CSAT_PURCHASE: Final[dict[str, Any]] = {
    "title_fa": "رضایت از خرید",
    "title_en": "Your recent purchase",
    "intro_fa": "نظر شما درباره‌ی خرید اخیرتان برای ما مهم است.",
    "intro_en": "We would like to hear about your recent purchase.",
    "thanks_fa": "سپاس از پاسخ شما.",
    "thanks_en": "Thank you for your answers.",
    "touchpoint": "خرید",
    "questions": [
        {
            "key": "q1",
            "kind": QuestionKind.CSAT.value,
            "text_fa": "از خرید اخیر خود چقدر راضی هستید؟",
            "text_en": "How satisfied are you with your recent purchase?",
            "required": True,
        },
        {
            "key": "q2",
            "kind": QuestionKind.CES.value,
            "text_fa": "انجام این خرید چقدر برایتان آسان بود؟",
            "text_en": "How easy was it to make this purchase?",
            "required": True,
        },
        {
            "key": "q3",
            "kind": QuestionKind.TEXT.value,
            "text_fa": "چه چیزی را می‌توانستیم بهتر انجام دهیم؟",
            "text_en": "What could we have done better?",
            "required": False,
            "show_if": {"key": "q1", "op": "lte", "value": 3},
        },
    ],
}

_QUALITY: Final[dict[str, Any]] = {
    "title_fa": "کیفیت ما از نگاه شما",
    "title_en": "How good are we?",
    "intro_fa": "هر یک از این جنبه‌ها را از ۱ (ضعیف) تا ۵ (عالی) ارزیابی کنید.",
    "intro_en": "Rate each of these from 1 (poor) to 5 (excellent).",
    "thanks_fa": "سپاس از پاسخ شما.",
    "thanks_en": "Thank you for your answers.",
    "touchpoint": "",
    "questions": [
        {
            "key": "q1",
            "kind": QuestionKind.QUALITY.value,
            "text_fa": "کیفیت ما را در هر یک از این جنبه‌ها ارزیابی کنید.",
            "text_en": "Rate our quality in each of these.",
            "required": True,
        },
        {
            "key": "q2",
            "kind": QuestionKind.TEXT.value,
            "text_fa": "توضیح دیگری دارید؟",
            "text_en": "Anything you would like to add?",
            "required": False,
        },
    ],
}

_KANO: Final[dict[str, Any]] = {
    "title_fa": "نظر شما درباره‌ی یک ویژگی",
    "title_en": "What do you think of a feature?",
    "intro_fa": "به هر دو پرسش پاسخ دهید؛ پاسخ درست یا غلط وجود ندارد.",
    "intro_en": "Please answer both questions; there are no right or wrong answers.",
    "thanks_fa": "سپاس از پاسخ شما.",
    "thanks_en": "Thank you for your answers.",
    "touchpoint": "",
    "questions": [
        {
            "key": "q1",
            "kind": QuestionKind.KANO.value,
            "text_fa": "اگر ارسال سفارش رایگان باشد، چه احساسی دارید؟",
            "text_en": "How would you feel if delivery were free?",
            "alt_text_fa": "اگر ارسال سفارش رایگان نباشد، چه احساسی دارید؟",
            "alt_text_en": "How would you feel if delivery were not free?",
            "feature_fa": "ارسال رایگان",
            "feature_en": "Free delivery",
            "required": True,
        },
    ],
}

STARTERS: Final[dict[str, tuple[Promise, dict[str, Any]]]] = {
    "nps_why": (_("NPS + why"), _NPS_WHY),
    "csat_purchase": (_("CSAT after purchase"), _CSAT_PURCHASE),
    "quality": (_("Six quality dimensions"), _QUALITY),
    "kano": (_("Kano for a feature"), _KANO),
}

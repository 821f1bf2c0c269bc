"""Demo data: «نگین», a Persian chain of cosmetics stores, and two years of its customers' history.

Customers buy through a repeat-purchase process with heterogeneous customers, as in the BG/NBD
and Gamma-Gamma models that mehvar's analytics will fit: each customer has a purchase rate
λ ~ Gamma(r, α), a probability p ~ Beta(a, b) of dropping out after each purchase, and a mean
spend drawn from a Gamma of its own. So most buyers churn after one or two orders, some stay
loyal, and a few are worth a lot (the top fifth brings most of the revenue: Pareto).

Every record is written with ``bulk_create`` in one transaction, with the same fields the services
would set (search keys, timeline events with the true historical time, a "+" history row), so
``make run`` on a fresh clone stays fast. Everything is drawn from one seeded ``random.Random``.
"""

from __future__ import annotations

import bisect
import math
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mehvar.core.models import Channel, Department, Direction, EventKind, TimelineEvent, User
from mehvar.core.national_id import company_id_check_digit, national_code_check_digit
from mehvar.core.persian import normalize_text
from mehvar.core.provinces import MAJOR_CITIES
from mehvar.core.roles import Role
from mehvar.customers.models import (
    AcquisitionSource,
    Consent,
    ConsentChange,
    ConsentChannel,
    ConsentSource,
    ConsentStatus,
    Customer,
    CustomerKind,
    Interaction,
    LifecycleStage,
    Note,
    Order,
    OrderChannel,
    OrderLine,
    OrderStatus,
    Product,
    Tag,
    Task,
    TaskStatus,
)
from mehvar.customers.orders import _ORDER_TO_CHANNEL, order_summary
from mehvar.customers.services import department_of, refresh_search_keys

_T = TypeVar("_T")

COMPANY_NAME = "فروشگاه‌های زنجیره‌ای آرایشی و بهداشتی نگین"
CHANGE_REASON = "داده‌های نمایشی"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    first_name: str
    last_name: str
    team: str


# Fixed passwords: this is a demo on a laptop, and the command says so when it prints them.
DEMO_STAFF: tuple[DemoLogin, ...] = (
    DemoLogin(Role.ADMIN, "admin", "mehvar-admin", "نازنین", "کریمی", "فناوری اطلاعات"),
    DemoLogin(Role.MANAGER, "manager", "mehvar-manager", "بهرام", "صالحی", "مدیریت فروشگاه‌ها"),
    DemoLogin(Role.SALES, "sales", "mehvar-sales", "سارا", "محمدی", "فروش"),
    DemoLogin(Role.SALES, "sales2", "mehvar-sales2", "امیر", "حسینی", "فروش عمده"),
    DemoLogin(Role.MARKETING, "marketing", "mehvar-marketing", "الهام", "رضایی", "بازاریابی"),
    DemoLogin(Role.SERVICE, "service", "mehvar-service", "رضا", "جعفری", "خدمات پس از فروش"),
)

_USERNAMES = [login.username for login in DEMO_STAFF]


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """ "مریم:maryam …" → (("مریم", "maryam"), …): a Persian name and how its owner spells it."""
    return tuple((fa, en) for fa, en in (item.split(":") for item in text.split()))


FEMALE_NAMES = _pairs(
    "مریم:maryam فاطمه:fatemeh زهرا:zahra زینب:zeinab سارا:sara نرگس:narges معصومه:masoumeh "
    "مهسا:mahsa الهام:elham نازنین:nazanin لیلا:leila مینا:mina سمیرا:samira مرضیه:marzieh "
    "شیما:shima نگار:negar الناز:elnaz پریسا:parisa سحر:sahar آزاده:azadeh هانیه:hanieh "
    "فرشته:fereshteh مهناز:mahnaz سمانه:samaneh ریحانه:reyhaneh یاسمن:yasaman کیمیا:kimia "
    "محدثه:mohadeseh طاهره:tahereh نسرین:nasrin رویا:roya شیرین:shirin ساناز:sanaz "
    "بهاره:bahareh مهتاب:mahtab پروانه:parvaneh ستاره:setareh آیدا:aida هستی:hasti "
    "ترانه:taraneh فرزانه:farzaneh اکرم:akram منیژه:manijeh شبنم:shabnam نیلوفر:niloufar "
    "مژگان:mojgan فریبا:fariba سپیده:sepideh حدیث:hadis عاطفه:atefeh مهدیه:mahdieh "
    "ملیکا:melika محیا:mahya آتنا:atena زهره:zohreh سوسن:sousan گلناز:golnaz رها:raha "
    "پرستو:parastoo کتایون:katayoun نیوشا:niousha بیتا:bita یگانه:yeganeh"
)
MALE_NAMES = _pairs(
    "محمد:mohammad علی:ali حسین:hossein رضا:reza مهدی:mahdi امیر:amir حسن:hasan "
    "محمدرضا:mohammadreza ابوالفضل:abolfazl مرتضی:morteza سعید:saeed مجید:majid حمید:hamid "
    "احمد:ahmad جواد:javad محسن:mohsen امیرحسین:amirhossein علیرضا:alireza مصطفی:mostafa "
    "یوسف:yousef کامران:kamran بهرام:bahram فرهاد:farhad کیان:kian آرش:arash بابک:babak "
    "پویا:pouya سینا:sina میلاد:milad امید:omid وحید:vahid پیمان:peyman کوروش:kourosh "
    "داریوش:dariush هادی:hadi یاسر:yaser نیما:nima ایمان:iman مهران:mehran شهرام:shahram "
    "فرشید:farshid کاوه:kaveh بهزاد:behzad صادق:sadegh روح‌الله:rouhollah حمیدرضا:hamidreza "
    "محمدحسین:mohammadhossein عباس:abbas اکبر:akbar یزدان:yazdan آرمین:armin پارسا:parsa "
    "ماهان:mahan طاها:taha عرفان:erfan سجاد:sajjad رسول:rasoul کریم:karim یعقوب:yaghoub"
)
LAST_NAMES = _pairs(
    "محمدی:mohammadi حسینی:hosseini احمدی:ahmadi رضایی:rezaei کریمی:karimi موسوی:mousavi "
    "جعفری:jafari رحیمی:rahimi صادقی:sadeghi هاشمی:hashemi قاسمی:ghasemi حیدری:heidari "
    "نوری:nouri کاظمی:kazemi ابراهیمی:ebrahimi اکبری:akbari مرادی:moradi عباسی:abbasi "
    "سلیمانی:soleimani نجفی:najafi یوسفی:yousefi طاهری:taheri زارعی:zarei شریفی:sharifi "
    "عسگری:asgari باقری:bagheri رستمی:rostami فرهادی:farhadi امیری:amiri بهرامی:bahrami "
    "میرزایی:mirzaei اسدی:asadi خسروی:khosravi مهدوی:mahdavi کرمانی:kermani تهرانی:tehrani "
    "اصفهانی:esfahani شیرازی:shirazi تبریزی:tabrizi رفیعی:rafiei سلطانی:soltani جلالی:jalali "
    "نظری:nazari صالحی:salehi فاضلی:fazeli ملکی:maleki حسن‌زاده:hassanzadeh علیزاده:alizadeh "
    "قربانی:ghorbani عزیزی:azizi کامرانی:kamrani پورمحمدی:pourmohammadi افشار:afshar "
    "نیک‌نام:niknam شجاعی:shojaei محمودی:mahmoudi زمانی:zamani فتحی:fathi خلیلی:khalili "
    "وحیدی:vahidi توکلی:tavakoli دهقان:dehghan کشاورز:keshavarz بابایی:babaei منصوری:mansouri "
    "رحمانی:rahmani اسماعیلی:esmaeili پاکزاد:pakzad یزدانی:yazdani کیانی:kiani بیگی:beigi "
    "آقایی:aghaei نصیری:nasiri غفاری:ghaffari مقدم:moghadam ایزدی:izadi سبحانی:sobhani "
    "فرجی:faraji جمشیدی:jamshidi نادری:naderi شکوهی:shokouhi حقیقی:haghighi پیری:piri "
    "ستوده:sotoudeh انصاری:ansari اسلامی:eslami طالبی:talebi کاویانی:kaviani مشهدی:mashhadi "
    "خراسانی:khorasani گودرزی:goudarzi بختیاری:bakhtiari لطفی:lotfi صفری:safari سعیدی:saeedi "
    "ثابتی:sabeti فرخی:farrokhi جوادی:javadi شاکری:shakeri رنجبر:ranjbar آذری:azari "
    "قنبری:ghanbari اعتمادی:etemadi نیکخواه:nikkhah پورحسینی:pourhosseini عبدالهی:abdollahi "
    "امینی:amini بهشتی:beheshti حکیمی:hakimi شفیعی:shafiei دانشور:daneshvar تقوی:taghavi"
)
# Brand-like words for the salons, pharmacies and shops that buy wholesale.
BRAND_WORDS = _pairs(
    "رز:rose یاس:yas مهتاب:mahtab پرنیان:parnian آوا:ava ستاره:setareh نیلوفر:niloufar "
    "گلستان:golestan الماس:almas پارمیس:parmis ترمه:termeh آرامش:aramesh نسیم:nasim "
    "آفتاب:aftab مروارید:morvarid سپید:sepid"
)
COMPANY_KINDS = (
    # (name pattern, tag, job titles of its contact people)
    ("سالن زیبایی {brand}", "سالن زیبایی", ("مدیر سالن", "مسئول خرید", "آرایشگر ارشد")),
    ("داروخانه دکتر {last}", "داروخانه", ("مسئول فنی", "مدیر داروخانه", "مسئول خرید")),
    ("فروشگاه آرایشی {brand}", "عمده‌فروش", ("مدیر فروشگاه", "حسابدار", "انباردار")),
    ("هتل {brand}", "سازمانی", ("مدیر تدارکات", "سرپرست خانه‌داری")),
    ("کلینیک پوست و مو {brand}", "سازمانی", ("مدیر داخلی", "مسئول خرید")),
)

# (code, weight, mobile prefixes of its regional operator, national-code prefixes, postal digit)
_PROVINCE_PLAN: tuple[tuple[str, int, tuple[str, ...], tuple[str, ...], str], ...] = (
    ("tehran", 300, ("912",), ("001", "002", "003", "004", "005", "006", "007", "008"), "1"),
    ("isfahan", 100, ("913",), ("127", "128", "129", "130"), "8"),
    ("razavi-khorasan", 90, ("915",), ("092", "093", "094"), "9"),
    ("fars", 70, ("917",), ("228", "229", "230"), "7"),
    ("east-azerbaijan", 60, ("914",), ("136", "137", "138"), "5"),
    ("alborz", 50, ("912",), ("031", "032"), "3"),
    ("khuzestan", 35, ("916",), ("175", "176"), "6"),
    ("mazandaran", 35, ("911",), ("208", "209"), "4"),
    ("gilan", 25, ("911",), ("261", "262"), "4"),
    ("qom", 20, ("912",), ("037", "038"), "3"),
    ("kerman", 20, ("913",), ("298", "299"), "7"),
    ("yazd", 15, ("913",), ("444", "445"), "8"),
    ("kermanshah", 15, ("918",), ("324", "325"), "6"),
    ("hamadan", 12, ("918",), ("386", "387"), "6"),
    ("golestan", 12, ("911",), ("221", "222"), "4"),
    ("west-azerbaijan", 12, ("914",), ("276", "277"), "5"),
    ("markazi", 10, ("918",), ("052", "053"), "3"),
    ("hormozgan", 10, ("917",), ("338", "339"), "7"),
)
_NATIONAL_MOBILE = ("912", "919", "990", "935", "936", "937", "938", "939", "901", "902", "921")
_AREA_CODE = {
    "tehran": "21", "isfahan": "31", "razavi-khorasan": "51", "fars": "71",
    "east-azerbaijan": "41", "alborz": "26", "khuzestan": "61", "mazandaran": "11",
    "gilan": "13", "qom": "25", "kerman": "34", "yazd": "35", "kermanshah": "83",
    "hamadan": "81", "golestan": "17", "west-azerbaijan": "44", "markazi": "86",
    "hormozgan": "76",
}  # fmt: skip
STREETS = (
    "خیابان امام خمینی", "خیابان آزادی", "بلوار کشاورز", "خیابان شریعتی", "خیابان مطهری",
    "بلوار فردوسی", "خیابان حافظ", "خیابان سعدی", "بلوار معلم", "خیابان بهار", "بلوار پاسداران",
    "خیابان ولیعصر", "خیابان انقلاب", "بلوار جمهوری", "خیابان فلسطین", "بلوار سجاد",
)  # fmt: skip
ALLEYS = ("کوچه یاس", "کوچه لاله", "کوچه نسترن", "کوچه بهار", "کوچه شقایق", "کوچه گلستان")

# (sku, name, category, price in Rials, for men too)
PRODUCTS: tuple[tuple[str, str, str, int, bool], ...] = (
    ("SK-01", "کرم ضدآفتاب رنگی SPF50 (50 میلی‌لیتر)", "مراقبت پوست", 6_800_000, False),
    ("SK-02", "کرم ضدآفتاب بی‌رنگ پوست چرب SPF50", "مراقبت پوست", 6_200_000, True),
    ("SK-03", "سرم ویتامین C (30 میلی‌لیتر)", "مراقبت پوست", 9_500_000, True),
    ("SK-04", "سرم هیالورونیک اسید", "مراقبت پوست", 8_700_000, False),
    ("SK-05", "کرم مرطوب‌کننده پوست خشک", "مراقبت پوست", 4_900_000, True),
    ("SK-06", "ژل شست‌وشوی صورت پوست چرب", "مراقبت پوست", 3_600_000, True),
    ("SK-07", "میسلار واتر (400 میلی‌لیتر)", "مراقبت پوست", 4_200_000, False),
    ("SK-08", "کرم دور چشم", "مراقبت پوست", 7_400_000, False),
    ("SK-09", "ماسک ورقه‌ای صورت (بسته 5 عددی)", "مراقبت پوست", 2_900_000, False),
    ("SK-10", "کرم ضدچروک شب", "مراقبت پوست", 12_500_000, False),
    ("HR-01", "شامپو ضدشوره", "مراقبت مو", 2_400_000, True),
    ("HR-02", "شامپو بدون سولفات موهای رنگ‌شده", "مراقبت مو", 3_300_000, False),
    ("HR-03", "نرم‌کننده مو", "مراقبت مو", 2_700_000, False),
    ("HR-04", "ماسک موی کراتینه", "مراقبت مو", 4_600_000, False),
    ("HR-05", "روغن آرگان مو", "مراقبت مو", 5_800_000, False),
    ("HR-06", "رنگ موی بدون آمونیاک", "مراقبت مو", 1_900_000, False),
    ("HR-07", "اسپری حالت‌دهنده مو", "مراقبت مو", 2_600_000, True),
    ("MK-01", "کرم پودر مات", "آرایشی", 7_900_000, False),
    ("MK-02", "ریمل حجم‌دهنده", "آرایشی", 4_300_000, False),
    ("MK-03", "رژ لب مایع مات", "آرایشی", 3_900_000, False),
    ("MK-04", "کانسیلر", "آرایشی", 4_100_000, False),
    ("MK-05", "پالت سایه چشم 12 رنگ", "آرایشی", 9_200_000, False),
    ("MK-06", "مداد چشم ضدآب", "آرایشی", 1_800_000, False),
    ("MK-07", "پنکک فشرده", "آرایشی", 5_300_000, False),
    ("MK-08", "ست برس آرایشی 7 عددی", "آرایشی", 6_500_000, False),
    ("PF-01", "ادو پرفیوم زنانه گل‌های بهاری (100 میلی‌لیتر)", "عطر و ادکلن", 38_000_000, False),
    ("PF-02", "ادو پرفیوم مردانه چوبی (100 میلی‌لیتر)", "عطر و ادکلن", 42_000_000, True),
    ("PF-03", "ادو تویلت مردانه اسپرت", "عطر و ادکلن", 24_000_000, True),
    ("PF-04", "بادی اسپلش زنانه", "عطر و ادکلن", 3_200_000, False),
    ("PF-05", "اسپری خوشبوکننده بدن مردانه", "عطر و ادکلن", 2_100_000, True),
    ("PH-01", "خمیردندان سفیدکننده", "بهداشت شخصی", 1_500_000, True),
    ("PH-02", "مسواک برقی", "بهداشت شخصی", 18_500_000, True),
    ("PH-03", "صابون گلیسیرینه (بسته 4 عددی)", "بهداشت شخصی", 1_200_000, True),
    ("PH-04", "ژل بهداشتی بانوان", "بهداشت شخصی", 2_300_000, False),
    ("PH-05", "کرم موبر", "بهداشت شخصی", 1_700_000, False),
    ("PH-06", "دئودورانت رول", "بهداشت شخصی", 1_900_000, True),
    ("EL-01", "سشوار حرفه‌ای 2200 وات", "لوازم برقی", 62_000_000, True),
    ("EL-02", "اتو موی سرامیکی", "لوازم برقی", 48_000_000, False),
    ("EL-03", "ماشین اصلاح صورت و بدن", "لوازم برقی", 35_000_000, True),
    ("EL-04", "اپیلیدی", "لوازم برقی", 54_000_000, False),
    ("EL-05", "برس حرارتی", "لوازم برقی", 29_000_000, False),
)
APPLIANCES = "لوازم برقی"

TAG_VIP, TAG_WHOLESALE, TAG_CLUB, TAG_SENSITIVE = "مشتری ویژه", "عمده‌فروش", "باشگاه", "پوست حساس"
TAGS = (TAG_VIP, TAG_WHOLESALE, TAG_CLUB, TAG_SENSITIVE, "سالن زیبایی", "داروخانه", "سازمانی")

_SOURCES = (
    (AcquisitionSource.WALK_IN, 30), (AcquisitionSource.INSTAGRAM, 20),
    (AcquisitionSource.WEBSITE, 18), (AcquisitionSource.REFERRAL, 12),
    (AcquisitionSource.MARKETPLACE, 8), (AcquisitionSource.CAMPAIGN, 6),
    (AcquisitionSource.PHONE, 4), (AcquisitionSource.OTHER, 2),
)  # fmt: skip
_PREFERRED_CHANNEL = {
    AcquisitionSource.WALK_IN: OrderChannel.IN_STORE,
    AcquisitionSource.REFERRAL: OrderChannel.IN_STORE,
    AcquisitionSource.OTHER: OrderChannel.IN_STORE,
    AcquisitionSource.WEBSITE: OrderChannel.WEBSITE,
    AcquisitionSource.CAMPAIGN: OrderChannel.WEBSITE,
    AcquisitionSource.INSTAGRAM: OrderChannel.SOCIAL,
    AcquisitionSource.MARKETPLACE: OrderChannel.MARKETPLACE,
    AcquisitionSource.PHONE: OrderChannel.PHONE,
    AcquisitionSource.EXHIBITION: OrderChannel.PHONE,
}
_CHANNEL_WEIGHTS = (
    (OrderChannel.IN_STORE, 50), (OrderChannel.WEBSITE, 25), (OrderChannel.MARKETPLACE, 10),
    (OrderChannel.PHONE, 8), (OrderChannel.SOCIAL, 7),
)  # fmt: skip

# The repeat-purchase process. Rates are per year; spend in Rials. Chosen so that about half of
# the buyers order once, and the top 20 % of buyers bring roughly 70 % of the revenue.
PURCHASE_SHAPE, PURCHASE_RATE = 0.9, 0.35  # λ ~ Gamma(r, α): mean 2.6 orders a year
DROPOUT_A, DROPOUT_B = 1.2, 2.8  # p ~ Beta(a, b): mean 0.3 after each purchase
SPEND_P, SPEND_Q, SPEND_GAMMA = 4.0, 4.0, 6_000_000.0  # Gamma-Gamma: mean order ≈ 8M Rials
COMPANY_RATE, COMPANY_DROPOUT, COMPANY_SPEND = 4.0, 0.4, 5.0  # wholesale buyers' multipliers

_SALES, _MARKETING, _SERVICE = Department.SALES, Department.MARKETING, Department.SERVICE
_IN, _OUT = Direction.INBOUND, Direction.OUTBOUND
# What each department writes on the timeline: channel, department, direction, summary, outcomes.
Script = tuple[Channel, Department, Direction, str, tuple[str, ...]]
SCRIPTS: dict[str, Script] = {
    "lead_call": (
        Channel.CALL, _SALES, _OUT, "پیگیری درخواست مشاوره پوست و مو که در {where} ثبت شده بود",
        ("برای بازدید از شعبه دعوت شد", "فعلاً قصد خرید ندارد", "پاسخ نداد؛ پیامک معرفی ارسال شد",
         "نمونه رایگان خواست"),
    ),
    "contact_call": (
        Channel.CALL, _SALES, _IN, "هماهنگی سفارش و زمان تحویل برای {company}",
        ("زمان تحویل هماهنگ شد", "فاکتور رسمی دوباره ارسال شد"),
    ),
    "instagram_dm": (
        Channel.SOCIAL, _SALES, _IN, "پرسش در دایرکت اینستاگرام درباره موجودی «{product}»",
        ("لینک خرید از سایت ارسال شد", "به نزدیک‌ترین شعبه ارجاع شد"),
    ),
    "welcome_call": (
        Channel.CALL, _SALES, _OUT, "تماس خوشامدگویی پس از اولین خرید و معرفی باشگاه مشتریان",
        ("عضو باشگاه شد", "از خرید راضی بود", "پاسخ نداد؛ پیامک ارسال شد"),
    ),
    "b2b_stock": (
        Channel.CALL, _SALES, _OUT, "پیگیری سفارش دوره‌ای و موجودی انبار مشتری",
        ("سفارش جدید ثبت شد", "تا آخر ماه موجودی دارند"),
    ),
    "b2b_prices": (
        Channel.EMAIL, _SALES, _OUT, "ارسال لیست قیمت عمده فصل جدید", ("لیست قیمت دریافت شد",),
    ),
    "b2b_invoice": (
        Channel.EMAIL, _SALES, _OUT, "ارسال پیش‌فاکتور عمده", ("پیش‌فاکتور تأیید شد",),
    ),
    "b2b_payment": (
        Channel.CALL, _SALES, _OUT, "پیگیری تسویه فاکتور ماه قبل",
        ("چک تحویل شد", "قول پرداخت تا پایان هفته"),
    ),
    "contract": (
        Channel.CALL, Department.MANAGEMENT, _OUT,
        "تماس مدیر فروشگاه‌ها برای تمدید قرارداد تأمین عمده",
        ("قرارداد یک‌ساله تمدید شد", "درخواست تخفیف بیشتر دارد"),
    ),
    "winback": (
        Channel.CALL, _SALES, _OUT, "تماس بازگشت مشتری؛ حدود {months} ماه است خرید نکرده",
        ("کد تخفیف 15٪ بازگشت ارسال شد", "پاسخ نداد", "از فروشگاه دیگری خرید می‌کند",
         "گفت ماه آینده خرید می‌کند"),
    ),
    "usage_question": (
        Channel.CALL, _SERVICE, _IN, "سؤال درباره نحوه استفاده از «{product}»", ("راهنمایی شد",),
    ),
    "authenticity": (
        Channel.WEB, _SERVICE, _IN, "پرسش درباره اصالت کالا و کد رهگیری",
        ("کد اصالت بررسی و تأیید شد",),
    ),
    "restock": (
        Channel.SOCIAL, _SERVICE, _IN, "سؤال درباره زمان موجود شدن «{product}»",
        ("پس از موجود شدن خبر می‌دهیم",),
    ),
    "return": (
        Channel.CALL, _SERVICE, _IN, "درخواست مرجوعی سفارش {number}: {reason}",
        ("مرجوعی پذیرفته شد؛ مبلغ بازگردانده شد",),
    ),
    "late": (
        Channel.CALL, _SERVICE, _IN, "شکایت از تأخیر در ارسال سفارش {number}",
        ("پیگیری با شرکت پست؛ بسته تحویل شد", "هزینه ارسال بازگردانده شد"),
    ),
    "survey": (
        Channel.CALL, _SERVICE, _OUT, "نظرسنجی رضایت پس از رسیدگی به شکایت",
        ("راضی، امتیاز 5 از 5", "نسبتاً راضی، امتیاز 3 از 5", "ناراضی؛ به مدیر فروشگاه ارجاع شد"),
    ),
    "warranty": (
        Channel.CALL, _SERVICE, _IN, "درخواست گارانتی «{product}»: دستگاه پس از مدتی خاموش می‌شود",
        ("دستگاه به نمایندگی گارانتی ارسال شد", "دستگاه تعویض شد"),
    ),
    "birthday": (
        Channel.SMS, _MARKETING, _OUT, "پیامک تبریک تولد با کد تخفیف 15٪", ("ارسال و تحویل شد",),
    ),
}  # fmt: skip
RETURN_REASONS = (
    "حساسیت پوستی", "رنگ با تصویر سایت فرق داشت", "بسته‌بندی آسیب دیده بود", "تاریخ انقضای نزدیک",
)  # fmt: skip
CAMPAIGNS = (
    # (month, day, consent channel, summary): each year's marketing calendar
    (1, 25, ConsentChannel.SMS, "روز مادر: 15٪ تخفیف عطرهای زنانه"),
    (3, 5, ConsentChannel.SMS, "کمپین نوروزی: 20٪ تخفیف همه محصولات مراقبت پوست تا پایان اسفند"),
    (3, 12, ConsentChannel.EMAIL, "خبرنامه نوروزی: راهنمای انتخاب هدیه عید"),
    (5, 20, ConsentChannel.SMS, "جشنواره تابستانه ضدآفتاب: خرید دوم با 30٪ تخفیف"),
    (7, 1, ConsentChannel.EMAIL, "خبرنامه: معرفی محصولات جدید برند نگین"),
    (9, 10, ConsentChannel.EMAIL, "خبرنامه پاییزی: روتین مراقبت پوست در فصل سرد"),
    (11, 26, ConsentChannel.SMS, "حراج جمعه سیاه: تا 40٪ تخفیف عطر و لوازم برقی"),
    (12, 15, ConsentChannel.SMS, "پیشنهاد ویژه شب یلدا: ست هدیه با بسته‌بندی رایگان"),
)
CAMPAIGN_OUTCOMES = {
    Channel.SMS: (("ارسال و تحویل شد", 80), ("روی لینک کلیک کرد", 15), ("تحویل نشد (خط خاموش)", 5)),
    Channel.EMAIL: (("ارسال شد", 50), ("ایمیل باز شد", 35), ("روی لینک کلیک کرد", 15)),
}
CAMPAIGN_SALE = "با کد تخفیف کمپین خرید کرد"
# How people say yes at sign-up, and how they later say no, per channel.
CONSENT_WITHDRAWALS = {
    ConsentChannel.SMS: (ConsentSource.CUSTOMER_REPLY, "پاسخ پیامکی «لغو11»"),
    ConsentChannel.EMAIL: (ConsentSource.CUSTOMER_LINK, "لینک لغو عضویت خبرنامه"),
    ConsentChannel.CALL: (ConsentSource.STAFF, "مشتری خواست دیگر تماس تبلیغاتی نگیرد"),
}
CUSTOMER_OWN = frozenset(
    {ConsentSource.CUSTOMER_FORM, ConsentSource.CUSTOMER_LINK, ConsentSource.CUSTOMER_REPLY}
)
NOTES = (
    "پوست خشک و حساس دارد؛ محصولات بدون عطر پیشنهاد شود.",
    "فقط عصرها به تماس پاسخ می‌دهد.",
    "ترجیح می‌دهد سفارش‌ها با پیک ارسال شود، نه پست.",
    "از تأخیر سفارش قبلی ناراضی بود؛ سفارش بعدی با پیگیری ویژه ارسال شود.",
    "به محصولات ارگانیک و بدون پارابن علاقه دارد.",
    "با معرفی یکی از مشتریان ویژه آمده است.",
    "برای هدیه تولد همسرش عطر می‌خرد؛ اسفند یادآوری شود.",
    "کارت هدیه 2 میلیون تومانی در شعبه دارد.",
    "شماره ثابت محل کار را داده؛ ساعت 9 تا 17 در دسترس است.",
)
COMPANY_NOTES = (
    "برای هر سفارش فاکتور رسمی با کد اقتصادی لازم دارد.",
    "تسویه حساب 30 روزه؛ چک صیادی می‌دهد.",
    "سفارش‌ها را اول هر ماه ثبت می‌کند.",
)
_SIGNUP_CHANNEL = {
    AcquisitionSource.WALK_IN: Channel.IN_STORE,
    AcquisitionSource.WEBSITE: Channel.WEB,
    AcquisitionSource.CAMPAIGN: Channel.WEB,
    AcquisitionSource.MARKETPLACE: Channel.WEB,
    AcquisitionSource.INSTAGRAM: Channel.SOCIAL,
    AcquisitionSource.PHONE: Channel.CALL,
    AcquisitionSource.EXHIBITION: Channel.IN_STORE,
}


@dataclass
class DemoResult:
    """What ``generate`` made, for the command to print and the tests to check."""

    customers: int = 0
    companies: int = 0
    buyers: int = 0
    products: int = 0
    orders: int = 0
    order_lines: int = 0
    interactions: dict[str, int] = field(default_factory=dict)
    notes: int = 0
    tasks: int = 0
    consent_changes: int = 0
    timeline_events: int = 0
    revenue: int = 0
    top20_share: float = 0.0
    one_time_share: float = 0.0
    seconds: float = 0.0


def top_share(values: Sequence[int], fraction: float = 0.2) -> float:
    """Share of the total held by the largest ``fraction`` of the (positive) values."""
    ordered = sorted((v for v in values if v > 0), reverse=True)
    if not ordered:
        return 0.0
    head = max(1, math.ceil(len(ordered) * fraction))
    return sum(ordered[:head]) / sum(ordered)


def national_code(rnd: random.Random, prefix: str) -> str:
    """A valid کد ملی: a registry-office prefix, random digits and its check digit."""
    while True:
        body = prefix + "".join(rnd.choice("0123456789") for _ in range(9 - len(prefix)))
        code = body + str(national_code_check_digit(body))
        if len(set(code)) > 1:
            return code


def company_id(rnd: random.Random) -> str:
    """A valid 11-digit شناسه ملی of a legal entity (non-zero serial, correct check digit)."""
    while True:
        body = "10" + "".join(rnd.choice("0123456789") for _ in range(8))
        if int(body[3:9]):
            return body + str(company_id_check_digit(body))


def postal_code(rnd: random.Random, first: str) -> str:
    """Ten digits whose routing part (first five) has no 0 and no 2, as Iran Post issues them."""
    routing = first + "".join(rnd.choice("13456789") for _ in range(4))
    return routing + "".join(rnd.choice("0123456789") for _ in range(5))


def _weighted(rnd: random.Random, pairs: Sequence[tuple[_T, int]]) -> _T:
    return rnd.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


ConsentStep = tuple[float, ConsentStatus, ConsentSource, str]  # day, status, source, evidence


@dataclass
class _Plan:
    """One customer record, its hidden behaviour and what happened to it (in day offsets)."""

    customer: Customer
    gender: str = "f"
    contact_of: int | None = None  # index of the company whose contact person this is
    joined: float = 0.0
    orders: list[Order] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    lines: list[list[OrderLine]] = field(default_factory=list)
    revenue: int = 0
    consents: dict[ConsentChannel, list[ConsentStep]] = field(default_factory=dict)
    contacted_by_sales: bool = False
    tags: set[str] = field(default_factory=set)

    @property
    def is_company(self) -> bool:
        return self.customer.kind == CustomerKind.COMPANY

    def granted(self, channel: ConsentChannel, t: float) -> bool:
        """Whether the customer had said yes on ``channel`` at day ``t``."""
        status = ConsentStatus.UNKNOWN
        for at, value, _source, _evidence in self.consents.get(channel, ()):
            if at <= t:
                status = value
        return status == ConsentStatus.GRANTED


class _Builder:
    """Draws the whole company in memory (``people`` … ``lifecycle``), then ``save``s it."""

    def __init__(self, *, n: int, seed: int, years: int, now: datetime) -> None:
        self.rnd = random.Random(seed)
        self.n = n
        self.tz = timezone.get_default_timezone()
        self.now = now
        self.today = timezone.localtime(now, self.tz).date()
        self.start = self.today - timedelta(days=round(365.25 * years))
        self.days = (self.today - self.start).days  # history ends yesterday evening
        self.staff: dict[str, list[User]] = defaultdict(list)
        self.catalogue: list[Product] = []  # by price, to pick lines near a target amount
        self.catalogue_male: list[Product] = []
        self.mobiles: set[str] = set()
        self.national_ids: set[str] = set()
        self.plans: list[_Plan] = []
        self.interactions: list[Interaction] = []
        self.notes: list[Note] = []
        self.tasks: list[Task] = []
        self.events: list[tuple[TimelineEvent, models.Model]] = []  # with the record it refers to
        self.initial_status: dict[int, OrderStatus] = {}  # id(order) → status when placed

    def when(self, t: float) -> datetime:
        """Day offset → an aware time in business hours (9:00–22:00 Tehran); monotonic in t."""
        day = self.start + timedelta(days=int(t))
        local = datetime(day.year, day.month, day.day, 9, tzinfo=self.tz)
        return local + timedelta(seconds=int((t - int(t)) * 13 * 3600))

    # --- people ---------------------------------------------------------------------------

    def unique(self, taken: set[str], make: Any) -> str:
        while (value := make()) in taken:
            pass
        taken.add(value)
        return str(value)

    def mobile(self, regional: tuple[str, ...]) -> str:
        rnd = self.rnd

        def make() -> str:
            prefix = rnd.choice(regional) if rnd.random() < 0.5 else rnd.choice(_NATIONAL_MOBILE)
            return f"+98{prefix}{rnd.randrange(10_000_000):07d}"

        return self.unique(self.mobiles, make)

    def place(self, customer: Customer) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Province, city, address and postal code; returns the local mobile and ID prefixes."""
        rnd = self.rnd
        code, _weight, mobiles, national, postal = rnd.choices(
            _PROVINCE_PLAN, weights=[p[1] for p in _PROVINCE_PLAN]
        )[0]
        cities = MAJOR_CITIES[code]
        customer.province = code
        customer.city = cities[0] if rnd.random() < 0.7 else rnd.choice(cities[1:])
        if rnd.random() < 0.75:
            customer.address = (
                f"{customer.city}، {rnd.choice(STREETS)}، {rnd.choice(ALLEYS)}، "
                f"پلاک {rnd.randint(1, 180)}، واحد {rnd.randint(1, 12)}"
            )
            customer.postal_code = postal_code(rnd, postal)
        return mobiles, national

    def landline(self, province: str) -> list[str]:
        return [f"+98{_AREA_CODE[province]}{self.rnd.randint(22_000_000, 88_999_999)}"]

    def person(self, *, gender: str, company: Customer | None = None) -> _Plan:
        rnd = self.rnd
        first, first_en = rnd.choice(FEMALE_NAMES if gender == "f" else MALE_NAMES)
        last, last_en = rnd.choice(LAST_NAMES)
        c = Customer(kind=CustomerKind.PERSON, first_name=first, last_name=last, company=company)
        mobiles, national = self.place(c)
        if company is not None:
            c.province, c.city = company.province, company.city
        c.mobile = self.mobile(mobiles)
        if rnd.random() < 0.85:
            prefix = rnd.choice(national)
            c.national_id = self.unique(self.national_ids, lambda: national_code(rnd, prefix))
        if rnd.random() < (0.6 if company else 0.35):
            local = rnd.choice(
                (
                    f"{first_en}.{last_en}",
                    f"{first_en}{last_en}{rnd.randint(50, 99)}",
                    f"{first_en[0]}.{last_en}{rnd.randint(1, 999)}",
                    f"{last_en}.{first_en}{rnd.randint(1, 99)}",
                )
            )
            domain = _weighted(
                rnd, (("gmail.com", 60), ("yahoo.com", 20), ("outlook.com", 12), ("chmail.ir", 8))
            )
            c.email = f"{local}@{domain}"
        age = rnd.triangular(18, 65, 30) * 365.25
        c.birth_date = self.today - timedelta(days=int(age) + rnd.randrange(365))
        if rnd.random() < 0.1:
            c.other_phones = self.landline(c.province)
        return _Plan(customer=c, gender=gender)

    def company(self) -> _Plan:
        rnd = self.rnd
        pattern, tag, _titles = rnd.choice(COMPANY_KINDS)
        brand, brand_en = rnd.choice(BRAND_WORDS)
        c = Customer(kind=CustomerKind.COMPANY)
        mobiles, _national = self.place(c)
        name = pattern.format(brand=brand, last=rnd.choice(LAST_NAMES)[0])
        c.company_name = f"{name} {c.city}"
        c.national_id = self.unique(self.national_ids, lambda: company_id(rnd))
        if rnd.random() < 0.5:
            c.mobile = self.mobile(mobiles)
        c.email = f"info@{brand_en}{rnd.randint(1, 999)}.ir"
        c.other_phones = self.landline(c.province)
        c.acquisition_source = _weighted(
            rnd,
            (
                (AcquisitionSource.EXHIBITION, 4),
                (AcquisitionSource.REFERRAL, 3),
                (AcquisitionSource.PHONE, 3),
            ),
        )
        return _Plan(customer=c, tags={TAG_WHOLESALE, tag})

    def people(self) -> None:
        """Companies (each with 1–3 contact people) and persons, ``n`` records in all."""
        rnd = self.rnd
        sales = self.staff[Role.SALES]
        while len(self.plans) < self.n:
            if rnd.random() < 0.035 and len(self.plans) + 2 <= self.n:
                plan = self.company()
                plan.customer.owner = sales[-1] if rnd.random() < 0.7 else sales[0]
                plan.joined = rnd.uniform(0, self.days * 0.9)
                self.plans.append(plan)
                company_index = len(self.plans) - 1
                titles = next(kind[2] for kind in COMPANY_KINDS if kind[1] in plan.tags)
                for _i in range(min(rnd.randint(1, 3), self.n - len(self.plans))):
                    contact = self.person(gender=rnd.choice("fm"), company=plan.customer)
                    contact.customer.job_title = rnd.choice(titles)
                    contact.customer.owner = plan.customer.owner
                    contact.customer.acquisition_source = plan.customer.acquisition_source
                    contact.contact_of = company_index
                    contact.joined = plan.joined + rnd.uniform(0, 3)
                    self.plans.append(contact)
                continue
            plan = self.person(gender="f" if rnd.random() < 0.68 else "m")
            source = _weighted(rnd, _SOURCES)
            plan.customer.acquisition_source = source
            online = source in {AcquisitionSource.WEBSITE, AcquisitionSource.MARKETPLACE}
            if not (online and rnd.random() < 0.5):
                plan.customer.owner = rnd.choice(sales)
            plan.joined = rnd.uniform(0, self.days - 0.5)
            self.plans.append(plan)
        staffed = {AcquisitionSource.WALK_IN, AcquisitionSource.PHONE}
        for plan in self.plans:
            c = plan.customer
            c.created_at = self.when(plan.joined)
            c.created_by = c.owner if plan.is_company or c.acquisition_source in staffed else None
            refresh_search_keys(c)

    # --- orders ---------------------------------------------------------------------------

    def purchase_times(self, plan: _Plan) -> list[float]:
        """BG/NBD: a first purchase, then Poisson(λ) repeats until a coin with p says "gone"."""
        rnd = self.rnd
        rate = rnd.gammavariate(PURCHASE_SHAPE, 1 / PURCHASE_RATE)
        dropout = rnd.betavariate(DROPOUT_A, DROPOUT_B)
        if plan.is_company:
            rate, dropout = rate * COMPANY_RATE, dropout * COMPANY_DROPOUT
        soon = rnd.random() < 0.6  # bought right at sign-up, or came back within days
        times = [plan.joined + (rnd.uniform(0.002, 0.02) if soon else rnd.uniform(0.1, 12))]
        while rnd.random() >= dropout and rate > 0:
            times.append(times[-1] + rnd.expovariate(rate / 365.25))
        return [t for t in times if t < self.days]

    def lines_for(self, target: float, *, male: bool, company: bool) -> list[OrderLine]:
        """1–4 lines adding up to about ``target`` Rials, of products that buyer would pick."""
        rnd = self.rnd
        catalogue = self.catalogue_male if male else self.catalogue
        prices = [p.price for p in catalogue]
        count = _weighted(rnd, ((1, 45), (2, 30), (3, 15), (4, 10)))
        share = target / count
        chosen: dict[int, OrderLine] = {}
        for _i in range(count):
            near = bisect.bisect_right(prices, share)
            product = catalogue[rnd.randint(max(0, near - 5), min(len(catalogue) - 1, near))]
            quantity = min(max(1, round(share / product.price)), 80 if company else 3)
            chosen.setdefault(
                product.pk,
                OrderLine(
                    product=product,
                    description=product.name,
                    quantity=quantity,
                    unit_price=product.price,
                ),
            )
        return list(chosen.values())

    def orders(self) -> None:
        rnd = self.rnd
        sales = self.staff[Role.SALES]
        for plan in self.plans:
            c = plan.customer
            if plan.contact_of is not None or (not plan.is_company and rnd.random() < 0.15):
                continue  # contact people buy through their company; some people never buy
            spend_rate = rnd.gammavariate(SPEND_Q, 1 / SPEND_GAMMA)
            scale = COMPANY_SPEND if plan.is_company else 1
            preferred = _PREFERRED_CHANNEL[AcquisitionSource(c.acquisition_source)]
            for t in self.purchase_times(plan):
                target = rnd.gammavariate(SPEND_P, 1 / spend_rate) * scale
                lines = self.lines_for(target, male=plan.gender == "m", company=plan.is_company)
                subtotal = sum(line.quantity * line.unit_price for line in lines)
                if plan.is_company:
                    percent = rnd.choice((10, 12, 15, 20))
                else:
                    percent = rnd.choice((5, 10, 15, 20)) if rnd.random() < 0.25 else 0
                discount = subtotal * percent // 100 // 10_000 * 10_000
                channel = preferred if rnd.random() < 0.75 else _weighted(rnd, _CHANNEL_WEIGHTS)
                age = self.days - t
                if age < 1:
                    status = rnd.choice((OrderStatus.PENDING, OrderStatus.PAID))
                elif age < 3 and channel != OrderChannel.IN_STORE:
                    status = OrderStatus.SHIPPED
                else:
                    status = _weighted(
                        rnd,
                        (
                            (OrderStatus.DELIVERED, 93),
                            (OrderStatus.CANCELLED, 4),
                            (OrderStatus.RETURNED, 3),
                        ),
                    )
                staffed = channel in {OrderChannel.IN_STORE, OrderChannel.PHONE}
                order = Order(
                    customer=c,
                    placed_at=self.when(t),
                    channel=channel,
                    status=status,
                    discount=discount,
                    total=subtotal - discount,
                    created_by=(c.owner or rnd.choice(sales)) if staffed else None,
                    note="فاکتور رسمی با کد اقتصادی" if plan.is_company else "",
                )
                plan.orders.append(order)
                plan.times.append(t)
                plan.lines.append(lines)
                if status not in {OrderStatus.CANCELLED, OrderStatus.RETURNED}:
                    plan.revenue += order.total
        placed = sorted((o for p in self.plans for o in p.orders), key=lambda o: o.placed_at)
        for number, order in enumerate(placed, start=100_001):
            order.number = f"NG-{number}"

    # --- consents -------------------------------------------------------------------------

    def consents(self) -> None:
        """Per channel: asked at sign-up (most say yes); some withdraw later, a few come back."""
        rnd = self.rnd
        for plan in self.plans:
            c = plan.customer
            asked = {
                ConsentChannel.SMS: bool(c.mobile) and rnd.random() < 0.85,
                ConsentChannel.EMAIL: bool(c.email) and rnd.random() < 0.8,
                ConsentChannel.CALL: rnd.random() < 0.6,
            }
            for channel in (channel for channel, yes in asked.items() if yes):
                t = plan.joined + 0.001
                if channel == ConsentChannel.CALL:
                    source, evidence = ConsentSource.STAFF, "رضایت شفاهی هنگام ثبت مشتری"
                elif c.acquisition_source == AcquisitionSource.WALK_IN:
                    source, evidence = ConsentSource.CUSTOMER_FORM, "فرم عضویت باشگاه در شعبه"
                else:
                    source, evidence = ConsentSource.CUSTOMER_FORM, "فرم ثبت‌نام وب‌سایت"
                granted = rnd.random() < 0.85
                status = ConsentStatus.GRANTED if granted else ConsentStatus.WITHDRAWN
                history: list[ConsentStep] = [(t, status, source, evidence)]
                if granted and rnd.random() < 0.14:
                    t = rnd.uniform(t + 5, self.days + 60)
                    if t < self.days:
                        history.append((t, ConsentStatus.WITHDRAWN, *CONSENT_WITHDRAWALS[channel]))
                        if rnd.random() < 0.25 and t + 30 < self.days:
                            again = "عضویت دوباره در باشگاه از فرم وب‌سایت"
                            t = rnd.uniform(t + 30, self.days)
                            history.append(
                                (t, ConsentStatus.GRANTED, ConsentSource.CUSTOMER_FORM, again)
                            )
                plan.consents[channel] = history

    # --- the three departments' contacts, notes and tasks ---------------------------------

    def event(
        self,
        plan: _Plan,
        at: datetime,
        kind: EventKind,
        ref: models.Model,
        actor: User | None,
        summary: str,
        **fields: Any,
    ) -> None:
        """A timeline event with the fields ``record_touchpoint`` sets; the ref id comes later."""
        fields.setdefault("department", department_of(actor))
        event = TimelineEvent(
            customer=plan.customer,
            occurred_at=at,
            kind=kind,
            summary=summary[:500],
            actor=actor,
            ref_type=ref._meta.label_lower,
            **{"channel": Channel.SYSTEM, "direction": Direction.INTERNAL, **fields},
        )
        self.events.append((event, ref))

    def log(
        self, plan: _Plan, t: float, script: str | Script, employee: User, **values: Any
    ) -> bool:
        """An interaction (named in ``SCRIPTS``) and its timeline event, unless t is the future."""
        if t >= self.days:
            return False
        channel, department, direction, summary, outcomes = (
            SCRIPTS[script] if isinstance(script, str) else script
        )
        outcome = values.pop("outcome", None) or self.rnd.choice(outcomes)
        interaction = Interaction(
            customer=plan.customer,
            channel=channel,
            department=department,
            direction=direction,
            summary=normalize_text(summary.format(**values))[:500],
            outcome=normalize_text(outcome)[:255],
            employee=employee,
            occurred_at=self.when(t),
        )
        self.interactions.append(interaction)
        self.event(
            plan,
            interaction.occurred_at,
            EventKind.INTERACTION,
            interaction,
            employee,
            interaction.summary,
            outcome=interaction.outcome,
            channel=channel,
            department=department,
            direction=direction,
        )
        return True

    def task(
        self, plan: _Plan, t: float, title: str, *, due: float, who: User, by: User,
        done: float | None = None,
    ) -> None:  # fmt: skip
        """A follow-up created at day ``t``, due ``due`` days later, done ``done`` days later."""
        if t >= self.days:
            return
        created = self.when(t)
        task = Task(
            customer=plan.customer,
            title=normalize_text(title)[:200],
            due_at=created + timedelta(days=due),
            assignee=who,
            created_by=by,
            created_at=created,
        )
        if done is not None and t + done < self.days:
            task.status, task.completed_at = TaskStatus.DONE, self.when(t + done)
        self.tasks.append(task)
        data = {"due_at": task.due_at.isoformat(), "assignee": who.pk}
        self.event(plan, created, EventKind.TASK_CREATED, task, by, task.title, data=data)
        if task.completed_at is not None:
            self.event(plan, task.completed_at, EventKind.TASK_COMPLETED, task, who, task.title)

    def contacts(self) -> None:
        rnd = self.rnd
        sales, manager = self.staff[Role.SALES], self.staff[Role.MANAGER][0]
        service = self.staff[Role.SERVICE][0]
        revenues = sorted(p.revenue for p in self.plans if p.revenue > 0)
        valuable = revenues[len(revenues) // 2] if revenues else 0
        for plan in self.plans:
            c = plan.customer
            owner = c.owner or rnd.choice(sales)
            source = c.acquisition_source
            if plan.contact_of is not None:
                if rnd.random() < 0.5:
                    company = self.plans[plan.contact_of].customer.company_name
                    self.log(plan, plan.joined + rnd.uniform(1, 200), "contact_call", owner,
                             company=company)  # fmt: skip
                continue
            if not plan.orders:
                web = {AcquisitionSource.WEBSITE, AcquisitionSource.CAMPAIGN}
                if (source in web or source == AcquisitionSource.INSTAGRAM) and rnd.random() < 0.6:
                    where = "وب‌سایت" if source in web else "اینستاگرام"
                    t = plan.joined + rnd.uniform(0.3, 5)
                    plan.contacted_by_sales = self.log(plan, t, "lead_call", owner, where=where)
                if self.days - plan.joined < 45 and rnd.random() < 0.5:
                    self.task(plan, plan.joined + 0.5, "پیگیری مشاوره و دعوت به شعبه",
                              due=rnd.uniform(1, 6), who=owner, by=owner)  # fmt: skip
                continue
            first, last = plan.times[0], plan.times[-1]
            product = plan.lines[0][0].description
            if source == AcquisitionSource.INSTAGRAM and rnd.random() < 0.6:
                t = (plan.joined + first) / 2
                self.log(plan, t, "instagram_dm", owner, product=product)
            if not plan.is_company and rnd.random() < 0.35:
                call = first + rnd.uniform(1, 4)
                if self.log(plan, call, "welcome_call", owner):
                    self.task(plan, first + 0.01, "تماس خوشامدگویی با مشتری جدید", due=3,
                              who=owner, by=owner, done=call - first - 0.01)  # fmt: skip
            if plan.is_company:
                self.wholesale(plan, owner, manager, last)
            elif self.days - last > 150 and plan.revenue >= valuable:
                months = round((self.days - last) / 30)
                self.log(plan, last + rnd.uniform(120, 200), "winback", owner, months=months)
            elif self.days - last < 120 and plan.revenue >= valuable and rnd.random() < 0.2:
                self.task(plan, self.days - rnd.uniform(1, 10),
                          "تماس برای معرفی محصولات جدید و پیشنهاد ویژه",
                          due=rnd.uniform(-2, 14), who=owner, by=manager)  # fmt: skip
            self.service(plan, owner, service)
            if rnd.random() < 0.12:
                script = rnd.choice(("usage_question", "authenticity", "restock"))
                self.log(plan, rnd.uniform(first, self.days), script, service, product=product)
        self.campaigns(self.staff[Role.MARKETING][0])
        self.notes_and_tags(service)

    def wholesale(self, plan: _Plan, owner: User, manager: User, last: float) -> None:
        """Account management of a wholesale buyer while it keeps ordering."""
        rnd = self.rnd
        t = plan.joined + rnd.uniform(10, 50)
        while t < min(self.days, last + 90):
            self.log(plan, t, rnd.choice(("b2b_stock", "b2b_prices", "b2b_invoice", "b2b_payment")),
                     owner)  # fmt: skip
            t += rnd.uniform(30, 75)
        if rnd.random() < 0.4:
            self.log(plan, plan.joined + rnd.uniform(60, 400), "contract", manager)
        if self.days - last < 60:
            self.task(plan, self.days - rnd.uniform(0.5, 6), "ثبت سفارش ماهانه و ارسال پیش‌فاکتور",
                      due=rnd.uniform(1, 10), who=owner, by=owner)  # fmt: skip

    def service(self, plan: _Plan, owner: User, service: User) -> None:
        """Returns, cancellations, late deliveries and warranty claims, with their follow-ups."""
        rnd = self.rnd
        for order, lines, t in zip(plan.orders, plan.lines, plan.times, strict=True):
            if order.status == OrderStatus.RETURNED:
                back = t + rnd.uniform(2, 8)
                reason = rnd.choice(RETURN_REASONS)
                self.log(plan, back, "return", service, number=order.number, reason=reason)
                self.status_change(plan, order, OrderStatus.DELIVERED, back, service)
            elif order.status == OrderStatus.CANCELLED:
                self.status_change(plan, order, OrderStatus.PAID, t + rnd.uniform(0.05, 1), owner)
            elif order.channel in {OrderChannel.WEBSITE, OrderChannel.MARKETPLACE}:
                late = t + rnd.uniform(3, 8)
                if rnd.random() < 0.07 and self.log(
                    plan, late, "late", service, number=order.number
                ):
                    survey = late + rnd.uniform(1, 4)
                    self.task(plan, late, f"تماس نظرسنجی پس از شکایت سفارش {order.number}",
                              due=3, who=service, by=service, done=survey - late)  # fmt: skip
                    self.log(plan, survey, "survey", service)
            for line in lines:
                product = line.product
                if product is not None and product.category == APPLIANCES and rnd.random() < 0.12:
                    t_claim = t + rnd.uniform(20, 250)
                    self.log(plan, t_claim, "warranty", service, product=product.name)

    def status_change(
        self, plan: _Plan, order: Order, previous: OrderStatus, t: float, actor: User
    ) -> None:
        """The event ``order_set_status`` writes; the order was placed with ``previous``."""
        new = OrderStatus(order.status)
        self.initial_status[id(order)] = previous
        summary = _("Order %(number)s: %(old)s → %(new)s") % {
            "number": order.number,
            "old": previous.label,
            "new": new.label,
        }
        at = min(self.when(t), self.now)
        data = {"from": previous.value, "to": new.value}
        self.event(plan, at, EventKind.ORDER_UPDATED, order, actor, summary, data=data)

    def campaigns(self, marketing: User) -> None:
        """Each campaign reaches a segment of those who had consented on its channel by then."""
        rnd = self.rnd
        for year in range(self.start.year, self.today.year + 1):
            for month, day, consent, summary in CAMPAIGNS:
                t = (date(year, month, day) - self.start).days + 0.3
                if not 0 <= t < self.days:
                    continue
                channel = Channel.SMS if consent == ConsentChannel.SMS else Channel.EMAIL
                script: Script = (channel, _MARKETING, _OUT, summary, ())
                for plan in self.plans:
                    if plan.joined > t or rnd.random() >= 0.35 or not plan.granted(consent, t):
                        continue
                    if any(t <= bought < t + 7 for bought in plan.times):
                        outcome = CAMPAIGN_SALE
                    else:
                        outcome = _weighted(rnd, CAMPAIGN_OUTCOMES[channel])
                    self.log(plan, t, script, marketing, outcome=outcome)
        for plan in self.plans:  # birthday wishes to buyers who came back
            birth = plan.customer.birth_date
            if birth is None or len(plan.times) < 2:
                continue
            for year in range(self.start.year, self.today.year + 1):
                t = (date(year, birth.month, min(birth.day, 28)) - self.start).days + 0.2
                if plan.joined < t and plan.granted(ConsentChannel.SMS, t):
                    self.log(plan, t, "birthday", marketing)

    def notes_and_tags(self, service: User) -> None:
        rnd = self.rnd
        revenues = sorted((p.revenue for p in self.plans if p.revenue > 0), reverse=True)
        vip = revenues[max(0, len(revenues) // 20 - 1)] if revenues else 1
        for plan in self.plans:
            c = plan.customer
            if rnd.random() < (0.5 if plan.is_company else 0.18):
                author = c.owner if c.owner is not None and rnd.random() < 0.7 else service
                body = rnd.choice(COMPANY_NOTES if plan.is_company else NOTES)
                at = self.when(rnd.uniform(plan.joined + 0.01, self.days))
                note = Note(customer=c, body=body, author=author, created_at=at)
                self.notes.append(note)
                self.event(plan, at, EventKind.NOTE_ADDED, note, author, body)
                if body == NOTES[0]:
                    plan.tags.add(TAG_SENSITIVE)
            if plan.revenue >= vip > 0:
                plan.tags.add(TAG_VIP)
            if (len(plan.times) >= 2 and rnd.random() < 0.6) or (
                plan.orders and rnd.random() < 0.1
            ):
                plan.tags.add(TAG_CLUB)

    def lifecycle(self) -> None:
        """Stages follow orders: none → lead/prospect; none for a year → former; 5+ → advocate."""
        year_ago = self.now - timedelta(days=365)
        for plan in self.plans:
            kept = [o.placed_at for o in plan.orders if o.status != OrderStatus.CANCELLED]
            if not kept:
                stage = LifecycleStage.PROSPECT if plan.contacted_by_sales else LifecycleStage.LEAD
            elif max(kept) < year_ago:
                stage = LifecycleStage.FORMER
            elif len(kept) >= 5:
                stage = LifecycleStage.ADVOCATE
            else:
                stage = LifecycleStage.CUSTOMER
            plan.customer.lifecycle_stage = stage
        for plan in self.plans:  # contact people share their company's stage
            if plan.contact_of is not None:
                plan.customer.lifecycle_stage = self.plans[plan.contact_of].customer.lifecycle_stage

    # --- writing --------------------------------------------------------------------------

    def save(self) -> None:
        """Every table in one ``bulk_create``, in the order foreign keys need."""
        plans = self.plans
        customers = [p.customer for p in plans]
        Customer.objects.bulk_create([c for c in customers if c.kind == CustomerKind.COMPANY])
        Customer.objects.bulk_create([c for c in customers if c.kind != CustomerKind.COMPANY])
        tags = {tag.name: tag for tag in Tag.objects.filter(name__in=TAGS)}
        through = Customer.tags.through
        through.objects.bulk_create(
            through(customer=p.customer, tag=tags[name]) for p in plans for name in sorted(p.tags)
        )
        for plan in plans:
            c = plan.customer
            source = AcquisitionSource(c.acquisition_source)
            summary = _("Customer record created") + f" ({source.label})"
            channel = _SIGNUP_CHANNEL.get(source, Channel.SYSTEM)
            self.event(
                plan, c.created_at, EventKind.CUSTOMER_CREATED, c, c.created_by, summary,
                channel=channel,
            )  # fmt: skip
        orders = sorted((o for p in plans for o in p.orders), key=lambda o: o.placed_at)
        Order.objects.bulk_create(orders)
        lines = []
        for plan in plans:
            for order, order_lines in zip(plan.orders, plan.lines, strict=True):
                for line in order_lines:
                    line.order = order
                    lines.append(line)
                summary = order_summary(order.number, len(order_lines))
                placed = self.initial_status.get(id(order), OrderStatus(order.status))
                self.event(
                    plan, order.placed_at, EventKind.ORDER_PLACED, order, order.created_by,
                    summary, channel=_ORDER_TO_CHANNEL[OrderChannel(order.channel)],
                    data={"total": order.total, "status": placed.value},
                )  # fmt: skip
        OrderLine.objects.bulk_create(lines)
        Interaction.objects.bulk_create(self.interactions)
        Note.objects.bulk_create(self.notes)
        Task.objects.bulk_create(self.tasks)
        self.save_consents()
        _history(Customer, customers, "created_at", "created_by")
        _history(Order, orders, "placed_at", "created_by")
        _history(Interaction, self.interactions, "occurred_at", "employee")
        _history(Note, self.notes, "created_at", "author")
        _history(Task, self.tasks, "created_at", "created_by")
        events = []
        for event, ref in self.events:
            event.ref_id = str(ref.pk)
            events.append(event)
        events.sort(key=lambda e: e.occurred_at)  # ids then follow time, as they would live
        TimelineEvent.objects.bulk_create(events)

    def save_consents(self) -> None:
        consents, changes = [], []
        for plan in self.plans:
            c = plan.customer
            for channel, history in plan.consents.items():
                steps = [
                    (self.when(t), status, source, text) for t, status, source, text in history
                ]
                at, status, source, _text = steps[-1]
                consent = Consent(
                    customer=c, channel=channel, status=status, source=source, changed_at=at
                )
                consents.append(consent)
                for at, status, source, evidence in steps:
                    actor = None if source in CUSTOMER_OWN else (c.owner or c.created_by)
                    changes.append(
                        ConsentChange(
                            customer=c,
                            channel=channel,
                            status=status,
                            source=source,
                            evidence=evidence,
                            actor=actor,
                            changed_at=at,
                        )
                    )
                    summary = _("%(channel)s consent: %(status)s (%(source)s)") % {
                        "channel": channel.label,
                        "status": status.label,
                        "source": source.label,
                    }
                    self.event(plan, at, EventKind.CONSENT_CHANGED, consent, actor, summary)
        Consent.objects.bulk_create(consents)
        ConsentChange.objects.bulk_create(changes)


def _history(model: type[models.Model], objs: Sequence[models.Model], when: str, who: str) -> None:
    """The "+" row simple_history would have written, dated when the thing really happened."""
    for obj in objs:
        # simple_history reads these two attributes; vars() as the model does not declare them.
        vars(obj)["_history_date"] = getattr(obj, when)
        vars(obj)["_history_user"] = getattr(obj, who)
    manager: Any = model.history  # type: ignore[attr-defined]
    manager.bulk_history_create(objs, batch_size=1000, default_change_reason=CHANGE_REASON)


def ensure_staff() -> dict[str, list[User]]:
    """One login per role (two for sales); accounts that already exist are left as they are."""
    existing = {u.username: u for u in User.objects.filter(username__in=_USERNAMES)}
    missing = [login for login in DEMO_STAFF if login.username not in existing]
    # PBKDF2 releases the GIL: hashing the six passwords side by side halves the wait.
    with ThreadPoolExecutor(max_workers=len(DEMO_STAFF)) as pool:
        hashes = list(pool.map(make_password, [login.password for login in missing]))
    created = [
        User(
            username=login.username,
            password=hashed,
            email=f"{login.username}@negin.example",
            first_name=login.first_name,
            last_name=login.last_name,
            role=login.role,
            team=login.team,
            is_staff=login.role == Role.ADMIN,
            is_superuser=login.role == Role.ADMIN,
        )
        for login, hashed in zip(missing, hashes, strict=True)
    ]
    User.objects.bulk_create(created)
    existing.update({u.username: u for u in created})
    staff: dict[str, list[User]] = defaultdict(list)
    for login in DEMO_STAFF:
        user = existing[login.username]
        staff[user.role].append(user)
    return staff


def demo_logins() -> list[tuple[DemoLogin, bool]]:
    """The demo accounts, and whether each exists in this database."""
    existing = set(User.objects.filter(username__in=_USERNAMES).values_list("username", flat=True))
    return [(login, login.username in existing) for login in DEMO_STAFF]


def _catalogue() -> list[Product]:
    existing = {p.sku: p for p in Product.objects.filter(sku__in=[row[0] for row in PRODUCTS])}
    missing = [
        Product(sku=sku, name=name, category=category, price=price)
        for sku, name, category, price, _for_men in PRODUCTS
        if sku not in existing
    ]
    Product.objects.bulk_create(missing)
    existing.update({p.sku: p for p in missing})
    return sorted(existing.values(), key=lambda p: (p.price, p.sku))


def generate(
    *, customers: int = 2000, seed: int = 7, years: int = 2, now: datetime | None = None
) -> DemoResult:
    """Create the demo company's staff, catalogue, customers and their history up to yesterday."""
    started = time.perf_counter()
    builder = _Builder(n=customers, seed=seed, years=years, now=now or timezone.now())
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        builder.staff = ensure_staff()
        for role in (Role.SALES, Role.MARKETING, Role.SERVICE, Role.MANAGER):
            if not builder.staff[role]:
                raise ValueError(f"The demo needs an employee with the role {role}.")
        builder.catalogue = _catalogue()
        men = {row[0] for row in PRODUCTS if row[4]}
        builder.catalogue_male = [p for p in builder.catalogue if p.sku in men]
        Tag.objects.bulk_create([Tag(name=name) for name in TAGS], ignore_conflicts=True)
        builder.people()
        builder.orders()
        builder.consents()
        builder.contacts()
        builder.lifecycle()
        builder.save()
    plans = builder.plans
    buyers = [p for p in plans if p.orders]
    departments: dict[str, int] = defaultdict(int)
    for interaction in builder.interactions:
        departments[interaction.department] += 1
    return DemoResult(
        customers=len(plans),
        companies=sum(1 for p in plans if p.is_company),
        buyers=len(buyers),
        products=len(builder.catalogue),
        orders=sum(len(p.orders) for p in plans),
        order_lines=sum(len(lines) for p in plans for lines in p.lines),
        interactions=dict(departments),
        notes=len(builder.notes),
        tasks=len(builder.tasks),
        consent_changes=sum(len(h) for p in plans for h in p.consents.values()),
        timeline_events=len(builder.events),
        revenue=sum(p.revenue for p in plans),
        top20_share=top_share([p.revenue for p in plans]),
        one_time_share=sum(1 for p in buyers if len(p.orders) == 1) / max(1, len(buyers)),
        seconds=time.perf_counter() - started,
    )


def reset_demo() -> None:
    """Delete every customer, order, contact, product and tag, with their history."""
    doomed: tuple[type[models.Model], ...] = (
        TimelineEvent, OrderLine, Order, Interaction, Note, Task, ConsentChange, Consent,
        Customer, Product, Tag,
    )  # fmt: skip
    with transaction.atomic():
        for model in doomed:
            history = getattr(model, "history", None)
            if history is not None:
                history.model.objects.all().delete()
            model._default_manager.all().delete()

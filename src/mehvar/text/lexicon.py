"""A hand-curated Persian polarity lexicon with negation, and the dense features made from it.

Why a lexicon next to the n-gram model: the shipped model learns its vocabulary from food-delivery
comments, so words that matter for a bank, a clinic or a telecom operator («کلاهبرداری»,
«پاسخگو نیست», «قطعی») never reach its n-grams. The lexicon is written for customer reviews of
any business and gives the classifier a few dense features it learns to trust on the training
data and that carry over to other domains.

How a text is scored (``score_text``):
- Words are matched on the normalised text, longest phrase first, allowing a few clitic suffixes
  («عالیه», «راضیم», «کثیفه», «خرابن»).
- A polar term is *negated* when a negative verb follows within four words («خوب نبود», «راضی
  نیستم», «هیچ مشکلی نداشت», «جواب نمیده») or «نه»/«بدون»/«بی» precedes it. Negation flips a
  positive term to a full negative, but a negative term only to a weak positive («بد نبود» is
  lukewarm), except for problem words («مشکل», «ایراد») where "no problem" is real praise.
- *Expectations* («جواب», «پاسخگو», «حل», «فعال») are mildly positive when met and clearly
  negative when negated: «پشتیبانی جواب نمیده».
- Intensifiers («خیلی», «واقعا», «اصلا») scale the next term up, softeners («یکم», «نسبتا») down.
- Terms after a contrast («ولی», «اما») are counted apart: the clause after "but" usually decides.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from mehvar.text.normalise import normalise, tokens

__all__ = ["LexiconFeatures", "LexiconScore", "score_text"]


def _split(words: str) -> list[str]:
    """The whitespace-separated words of a block (lists written as text read better)."""
    return words.split()


# --- the lexicon ------------------------------------------------------------------------------
# Written in ordinary spelling; folded through ``normalise`` at import. Weight 2 = strong.

_POSITIVE_STRONG: Final = _split(
    """
عالی عالیه عالیست عالیییه فوق‌العاده فوقالعاده بی‌نظیر بینظیر محشر معرکه بیست درجه‌یک بهترین
شاهکار ممتاز بی‌نقص بینقص بی‌عیب ایده‌آل ایده‌ال کم‌نظیر بی‌رقیب خفن توپ لذت‌بخش شگفت‌انگیز
حرف‌نداره عاشقشم
"""
)

_POSITIVE_STRONG_PHRASES: Final = [
    "درجه یک",
    "فوق العاده",
    "حرف نداره",
    "حرف نداشت",
    "دمتون گرم",
    "دمت گرم",
    "دستتون درد نکنه",
    "دستت درد نکنه",
    "دست مریزاد",
    "دستش طلا",
    "خدا قوت",
    "خسته نباشید",
    "بی عیب و نقص",
    "عاشقش شدم",
    "لذت بردم",
    "کیف کردم",
    "حال کردم",
    "از این بهتر نمیشه",
    "بهتر از این نمیشه",
    "ارزش خرید داره",
    "ارزش خرید داشت",
    "پیشنهاد میکنم",
    "توصیه میکنم",
    "حتما دوباره",
    "باز هم سفارش",
    "دوباره سفارش",
    "دوباره خرید",
    "دوباره میخرم",
    "انتظارم برآورده",
    "انتظارمو برآورده",
    "بیشتر از انتظار",
    "فراتر از انتظار",
    "بهتر از انتظار",
    "راضی راضی",
    "پنج ستاره",
    "پیشنهاد میشه",
    "خدا خیرتون بده",
    "موفق باشید",
    "پاینده باشید",
]

_POSITIVE: Final = _split(
    """
خوب خوبه خوبی خوش خوشمزه لذیذ تازه تمیز تمیزه مرتب شیک زیبا قشنگ خوشگل جذاب ناز دلنشین دنج راضی
راضیم رضایت رضایتبخش خشنود خرسند خوشحال خوشحالم شاد راحت آسان آسون ساده سریع سریعتر فوری زود
بموقع وقت‌شناس دقیق منظم مودب باادب محترم محترمانه مهربان مهربون صبور باحوصله خوش‌برخورد
خوش‌اخلاق خوش‌رفتار خوش‌قول خوشبرخورد خوشاخلاق خوشرفتار خوشقول خوش‌طعم خوش‌بو خوش‌رنگ خوش‌ساخت
خوش‌دست صمیمی خونگرم گرمی حرفه‌ای متخصص ماهر کاربلد مسلط باتجربه باسواد کاردان صادق صادقانه امین
قابل‌اعتماد معتبر مطمئن اصل اصله اورجینال سالم پلمپ نو باکیفیت مرغوب ارزان ارزون ارزونه مناسب
منصفانه منصف بصرفه مقرون ارزشمند میارزه می‌ارزه ارزید پیشنهاد توصیه ممنون ممنونم ممنونیم مرسی
سپاس سپاسگزارم سپاسگزاریم متشکرم متشکریم تشکر قدردانی قدردان لطف لطفتون عزیز عزیزان کارآمد
کاربردی مفید موثر کاربرپسند روان قوی محکم بادوام مقاوم جادار آروم آرام راحته گل گلید دوستداشتنی
پیگیر پاسخگو دلسوز دلسوزانه حامی عالیتر بهترینه بهبود پیشرفت رایگان تخفیف هدیه سخاوتمند گشاده‌رو
باصفا باکلاس لوکس تمیزی نظافت جالب خوشم پسندیدم پرفکت پرسرعت پرقدرت شفاف باحال شیرین رضایتمندی
کامل خوش‌دوخت خوشدوخت خوش‌قیمت خوشقیمت ارزنده خوش‌پخت خوشپخت گرم‌وتازه داغ‌وتازه آبدار ترد
مهمان‌نواز مهمون‌نواز خوش‌سلیقه باسلیقه بادقت صبورانه آبرومند مطلوب راضی‌کننده موفق پرانرژی
بی‌دردسر بی‌دغدغه اصیل خوش‌عطر متعهد وقت‌شناسی خوش‌حساب درستکار باانصاف کارراه‌انداز سرحال
تروتمیز
"""
)

_POSITIVE_PHRASES: Final = [
    "به موقع",
    "سر وقت",
    "وقت شناس",
    "با ادب",
    "با حوصله",
    "خوش برخورد",
    "خوش اخلاق",
    "خوش رفتار",
    "خوش قول",
    "خوش طعم",
    "با کیفیت",
    "کیفیت بالا",
    "کیفیت عالی",
    "کیفیت خوب",
    "قیمت مناسب",
    "قیمت خوب",
    "به صرفه",
    "مقرون به صرفه",
    "قابل اعتماد",
    "با تجربه",
    "دوست داشتم",
    "دوستش دارم",
    "خوشم اومد",
    "خوشم آمد",
    "مثل عکس",
    "مطابق عکس",
    "طبق توضیحات",
    "مطابق توضیحات",
    "همونی که",
    "همون چیزی",
    "دقیقا همون",
    "سالم رسید",
    "سالم بود",
    "سریع رسید",
    "زود رسید",
    "زودتر از",
    "رسیدگی کردن",
    "پیگیری کردن",
    "مشکلم حل",
    "مشکل حل",
    "حل شد",
    "برطرف شد",
    "رفع شد",
    "درست شد",
    "جواب داد",
    "کمکم کرد",
    "کمک کرد",
    "وقت گذاشت",
    "وقت گذاشتن",
    "با دقت",
    "قابل قبول",
    "به قولش عمل",
    "به قولشون عمل",
    "ضمانت داد",
    "کارمو راه انداخت",
    "کارم راه افتاد",
    "مثل ساعت کار",
    "بدون دردسر",
    "خیالم راحت",
    "راحت شدم",
    "برق انداخت",
]

_NEGATIVE_STRONG: Final = _split(
    """
افتضاح افتضاحه افتضاحی افتضاحترین مزخرف مزخرفه بدترین فاجعه فاجعه‌بار وحشتناک آشغال داغون
کلاهبرداری کلاهبردار کلاهبردارن کلاهبرداره دزدی دزد تقلب تقلبی تقلبیه فیک جعلی دروغ دروغگو
دروغگوها فریب فریبکار حقه حقه‌باز مسخره پشیمان پشیمون پشیمونم پشیمانم نفرت متنفر چندش شرم‌آور
بیشعور بی‌شعور افتضاح‌ترین گند گندکاری مضخرف نخرید نخرین ضایع ضایعه سرکاری بی‌کیفیت بیکیفیت
بی‌ارزش بیارزش گرانفروشی گرونفروشی کم‌فروشی کمفروشی
"""
)

_NEGATIVE_STRONG_PHRASES: Final = [
    "به هیچ عنوان",
    "به هیچ وجه",
    "تحت هیچ شرایطی",
    "حیف پول",
    "حیف پولم",
    "پولم هدر",
    "هدر رفت",
    "پول دور ریختن",
    "پولتونو دور نریزید",
    "خرید نکنید",
    "سفارش ندید",
    "خرید نمیکنم",
    "سفارش نمیدم",
    "نمیخرم",
    "دیگه نمیخرم",
    "دیگه سفارش نمیدم",
    "دیگه خرید نمیکنم",
    "هیچوقت دیگه",
    "هیچ وقت دیگه",
    "خیلی بد",
    "کیفیت پایین",
    "کیفیت افتضاح",
    "کیفیت بد",
    "کیفیتش پایین",
    "کیفیتش خیلی پایین",
    "کیفیت خیلی پایین",
    "گرون فروشی",
    "کم فروشی",
    "سر کار گذاشتن",
    "سرکار گذاشتن",
    "گول زدن",
    "گول خوردم",
    "کلاه گذاشتن",
    "کلاه سرم",
    "به درد نمیخوره",
    "به درد نمیخورد",
    "بدرد نمیخوره",
    "بدرد نخور",
    "ارزش نداره",
    "ارزش نداشت",
    "ارزششو نداشت",
    "ارزشش رو نداره",
    "ارزشش رو نداشت",
    "ارزش پولشو نداره",
    "اعصاب خورد کن",
    "اعصاب خرد کن",
    "وقتمو تلف",
    "وقت تلف",
    "حال بهم زن",
    "حالم بهم خورد",
    "پول الکی",
    "بوی بد",
    "بوی نم",
    "بوی تعفن",
]

_NEGATIVE: Final = _split(
    """
بد بده بدی بدتر بدجور ضعیف ضعیفه خراب خرابه خرابن خرابی معیوب ایراد عیب مشکل مشکلات نقص ناقص
کثیف کثیفه کثیفی آلوده بدبو دیر دیرکرد تاخیر تأخیر معطل معطلی کنده کندی قطع قطعی هنگ کرش باگ
ارور خطا گران گرون گرونه گرانه گرونی گرانی بی‌ادب بیادب بی‌ادبی بداخلاق بدرفتار بی‌احترامی توهین
توهین‌آمیز بی‌مسئولیت بیمسئولیت بی‌مسئولیتی بی‌نظم بی‌نظمی بی‌توجه بی‌توجهی بی‌اعتنا بی‌اعتنایی
بی‌تفاوت غیرحرفه‌ای ناشی ناراضی نارضایتی ناامید ناامیدکننده دلسرد عصبانی عصبی شاکی شکایت اعتراض
گله ناراحت ناراحتی متاسف متاسفانه متأسفانه حیف کاش زشت بیمزه بی‌مزه بدمزه خام سوخته له شکسته
پاره لک کهنه کارکرده تاریخ‌گذشته فاسد خطرناک آسیب ضرر اشتباه اشتباهی غلط گم مفقود کسری نامرتب
شلوغ شلوغی الکی بیخود بیهوده اتلاف بی‌فایده بیفایده افت بدقول کلافه اذیت آزار زجر عذاب مزاحم
مزاحمت اسپم سوءاستفاده تبعیض بی‌عدالتی نامناسب غیراستاندارد خش ترک خاموش سوزوند نشتی چکه سرد
بی‌کیفیتی ناکارآمد ناهماهنگی هماهنگی‌نکردن بلاتکلیف سردرگم پیچیده سخت دشوار گیج کلاهبردارا
ولخرجی نرسید نرسیده برنگشت برنگردوندن نیومد نیومده نیامد نپرداختن پس‌ندادن کمبود ناجور بدشانسی
دردسر دردسرساز دردسرش سرگردان سرگردونی پاسکاری گرسنه لغو کنسل چرب بیات نپخته خمیر بی‌نمک بینمک
لگ لعنتی بی‌خاصیت بیخاصیت بی‌مصرف بیمصرف شکستگی زخمی
بدرنگ بدقولی بی‌پاسخ بی‌دقت بی‌دقتی بی‌حوصله بی‌حوصلگی سهل‌انگاری کوتاهی کپک کپک‌زده پلاسیده
پژمرده گرانفروش گرونفروش علاف الاف غیرقابل‌قبول بی‌اعتبار فرسوده زنگ‌زده بی‌روح دبه طلبکار پولکی
سودجو سودجویی غیرمنصفانه ناعادلانه مسدود بلاک بی‌خبری بی‌برنامگی حروم بداخلاقی بی‌ادبانه بی‌انصاف
بی‌انصافی
"""
)

_NEGATIVE_PHRASES: Final = [
    "بد اخلاق",
    "بد رفتار",
    "بد برخورد",
    "بد قول",
    "غیر حرفه ای",
    "کار نمیکنه",
    "کار نمیکرد",
    "کار نکرد",
    "کار نمیکند",
    "از کار افتاد",
    "صدا میده",
    "صدا میداد",
    "صدای عجیب",
    "بو میده",
    "بو میداد",
    "دست دوم",
    "تاریخ گذشته",
    "کم بود",
    "کم فرستادن",
    "کم فرستاده",
    "اضافه گرفتن",
    "پول اضافه",
    "هزینه اضافه",
    "منتظر موندم",
    "منتظر ماندم",
    "هر بار یه بهونه",
    "بهونه میارن",
    "پاس کاری",
    "قطع میشه",
    "قطع شد",
    "قطع میکنن",
    "هنگ میکنه",
    "ارور میده",
    "متاسفم براتون",
    "دیگه نمیرم",
    "دیگه نمیام",
    "آخرین بار",
    "گیر میکنه",
    "داغ میکنه",
    "زود خالی میشه",
    "یخ کرده",
    "حجمش کم",
    "خیلی کم بود",
    "بد بود",
    "غیر قابل قبول",
    "سر میدوونن",
    "سر دووندن",
    "وقتمو گرفت",
    "پولم حروم",
    "برای هفت پشتم",
    "از دسترس خارج",
    "گوش نکرد",
    "گوش نمیده",
    "گوش نمیدن",
    "پس نمیدن",
    "پس ندادن",
    "زیر قولش",
    "زیر قولشون",
    "دیر جواب",
    "جواب سربالا",
]

# Expectations: (weight when met, weight when negated). Met is mildly good, unmet clearly bad.
_EXPECTATIONS: Final[dict[str, tuple[float, float]]] = {
    "جواب": (0.3, -1.5),
    "جوابی": (0.0, -1.5),
    "جوابگو": (0.5, -1.5),
    "پاسخ": (0.3, -1.5),
    "پاسخی": (0.0, -1.5),
    "پاسخگو": (0.5, -1.5),
    "پاسخگویی": (0.5, -1.0),
    "حل": (1.0, -1.5),
    "فعال": (0.2, -1.0),
    "وصل": (0.2, -1.0),
    "تحویل": (0.0, -1.0),
    "ارسال": (0.0, -1.0),
    "اطلاع": (0.0, -1.0),
    "اطلاع‌رسانی": (0.0, -1.0),
    "کمک": (0.5, -1.5),
    "کمکی": (0.0, -1.5),
    "توضیح": (0.0, -1.0),
    "توضیحی": (0.0, -1.0),
    "تماس": (0.0, -1.0),
    "پیگیری": (0.3, -1.0),
    "رسیدگی": (0.5, -1.0),
    "انجام": (0.0, -1.0),
    "درست": (0.7, -1.0),
    "بلد": (0.3, -1.0),
    "کیفیت": (0.3, -1.5),
    "ارزش": (0.5, -1.5),
    "ارزششو": (0.5, -1.5),
    "ارزشش": (0.5, -1.5),
    "تعهد": (0.3, -1.0),
    "مسئولیت": (0.0, -1.0),
    "اهمیت": (0.0, -1.0),
    "برگشت": (0.0, -1.0),
    "شباهت": (0.0, -1.5),
    "شباهتی": (0.0, -1.5),
    "انتظار": (0.0, -1.0),
    "انتظارم": (0.0, -1.0),
    "کار": (0.0, -1.0),
    "رضایت": (1.0, -1.5),
    "تاثیر": (0.5, -1.5),
    "تاثیری": (0.0, -1.5),
    "فایده": (0.3, -1.5),
    "فایده‌ای": (0.0, -1.5),
    "اقدامی": (0.0, -1.5),
    "خبری": (0.0, -1.0),
}

# Problem words: "no problem" («هیچ مشکلی نداشت», «بدون ایراد») is full praise, not lukewarm.
_PROBLEMS: Final = frozenset(
    normalise(word)
    for word in ["مشکل", "مشکلی", "ایراد", "ایرادی", "عیب", "عیبی", "نقص", "نقصی", "خرابی"]
)

# A negative verb after a term negates it: «خوب نبود», «راضی نیستم», «ارزش نداره».
_NEGATORS_AFTER: Final = frozenset(
    normalise(word)
    for word in [
        "نیست",
        "نیستم",
        "نیستی",
        "نیستیم",
        "نیستید",
        "نیستند",
        "نیستن",
        "نیس",
        "نبود",
        "نبودم",
        "نبودن",
        "نبودند",
        "نبوده",
        "نبودیم",
        "نداشت",
        "نداشتم",
        "نداشتن",
        "نداشتند",
        "نداشته",
        "نداره",
        "ندارد",
        "ندارم",
        "ندارن",
        "ندارند",
        "نداشتیم",
        "نداریم",
        "نکرد",
        "نکردم",
        "نکردن",
        "نکردند",
        "نکرده",
        "نکردید",
        "نکنید",
        "نکن",
        "نمیکنه",
        "نمیکنم",
        "نمیکنن",
        "نمیکنند",
        "نمیکند",
        "نشد",
        "نشدم",
        "نشدن",
        "نشده",
        "نشدند",
        "نمیشه",
        "نمیشد",
        "نمیشود",
        "نمیشن",
        "نشود",
        "نمیده",
        "نمیدن",
        "نمیدهند",
        "نداد",
        "ندادن",
        "ندادند",
        "نداده",
        "نمیاد",
        "نمیان",
        "نیومد",
        "نیامد",
        "نگرفت",
        "نگرفتن",
        "نگرفتند",
        "نرسید",
        "نرسیده",
        "نذاشت",
        "نمیذاره",
        "نبودش",
        "نیستش",
    ]
)
# «نه»/«بدون»/«بی» before a term negate it: «نه کیفیت داشت نه قیمت مناسب», «بدون مشکل».
_NEGATORS_BEFORE: Final = frozenset({"نه", "بدون", "بی", "غیر"})
_INTENSIFIERS: Final = frozenset(
    normalise(word)
    for word in [
        "خیلی",
        "بسیار",
        "واقعا",
        "کاملا",
        "اصلا",
        "شدیدا",
        "فوق\u200cالعاده",
        "بی\u200cنهایت",
        "بینهایت",
        "انقدر",
        "اینقدر",
        "اونقدر",
        "حسابی",
        "کلی",
        "زیادی",
        "فوق",
        "خیلیییی",
        "واقعاً",
        "بشدت",
        "به\u200cشدت",
        "بسی",
        "چقدر",
        "چه\u200cقدر",
        "جدا",
        "جداً",
        "کلا",
    ]
)
_SOFTENERS: Final = frozenset(
    normalise(word)
    for word in ["یکم", "یه\u200cکم", "کمی", "نسبتا", "تقریبا", "کمابیش", "بعضا", "گاهی"]
)
_CONTRASTS: Final = frozenset(normalise(word) for word in ["ولی", "اما", "ولیکن", "منتها", "لیکن"])
# Clitics that may follow a lexicon word: «عالیه», «راضیم», «کثیفه», «خرابن», «گرونش».
_SUFFIXES: Final = (
    "ترین",
    "تره",
    "تر",
    "ست",
    "اس",
    "ام",
    "یم",
    "ید",
    "ند",
    "ه",
    "م",
    "ن",
    "ش",
    "ی",
)
# Words a suffix rule would misread: «بدن» (body), «بدم»/«بدید» (give), «نون» (bread), «هنگام».
_NOT_DERIVED: Final = frozenset(
    {
        "بدن",
        "بدم",
        "بدید",
        "بدین",
        "بدیم",
        "بدند",
        "خوبان",
        "سردر",
        "نون",
        "نوش",
        "اصلی",
        "ترکی",
        "هنگام",
    }
)
_WINDOW_AFTER: Final = 4
_WINDOW_BEFORE: Final = 2


def _entries() -> dict[tuple[str, ...], tuple[float, float]]:
    """Phrase (as normalised tokens) → (weight when affirmed, weight when negated)."""
    table: dict[tuple[str, ...], tuple[float, float]] = {}

    def add(words: Iterable[str], weight: float) -> None:
        for word in words:
            key = tuple(tokens(normalise(word)))
            if not key:
                continue
            negated = -weight if weight > 0 else -0.4 * weight
            table[key] = (weight, negated)

    add(_POSITIVE, 1.0)
    add(_POSITIVE_PHRASES, 1.0)
    add(_POSITIVE_STRONG, 2.0)
    add(_POSITIVE_STRONG_PHRASES, 2.0)
    add(_NEGATIVE, -1.0)
    add(_NEGATIVE_PHRASES, -1.0)
    add(_NEGATIVE_STRONG, -2.0)
    add(_NEGATIVE_STRONG_PHRASES, -2.0)
    for word, weights in _EXPECTATIONS.items():
        table[tuple(tokens(normalise(word)))] = weights
    for word in _PROBLEMS:
        table[(word,)] = (-1.0, 1.0)
    return table


_ENTRIES: Final = _entries()
_SINGLE: Final = {key[0]: value for key, value in _ENTRIES.items() if len(key) == 1}
_PHRASES_BY_FIRST: Final[dict[str, list[tuple[str, ...]]]] = {}
for _key in sorted((k for k in _ENTRIES if len(k) > 1), key=len, reverse=True):
    _PHRASES_BY_FIRST.setdefault(_key[0], []).append(_key)


def _lookup_word(word: str) -> tuple[float, float] | None:
    found = _SINGLE.get(word)
    if found is not None or word in _NOT_DERIVED:
        return found
    for suffix in _SUFFIXES:  # one clitic, then a second («خرابترن» is rare; «عالیه» common)
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            stem = word[: -len(suffix)]
            found = _SINGLE.get(stem)
            if found is not None:
                return found
    return None


def _is_negator_after(word: str) -> bool:
    # Every «نمی…» form is a negated present verb («نمیخوره», «نمیرسه»); the rest are listed.
    return word in _NEGATORS_AFTER or (word.startswith("نمی") and len(word) > 4)


@dataclass(frozen=True, slots=True)
class LexiconScore:
    """What the lexicon found in one text."""

    positive: float  # evidence for positive (affirmed positive terms, negated negative ones)
    negative: float  # evidence for negative, as a positive number
    negations: int  # terms that were negated
    after_contrast: float  # net score of the part after the last «ولی»/«اما»
    terms: int  # lexicon terms found

    @property
    def net(self) -> float:
        return self.positive - self.negative


_BOUNDARY: Final = "|"
_WORD_OR_STOP: Final = re.compile(r"\w+|[.!?؟،,;:؛]")


def _words(text: str) -> list[str]:
    """Normalised words, with ``|`` where punctuation ends a clause (negation stops there)."""
    words = [
        w if w[0].isalnum() or w[0] == "_" else _BOUNDARY
        for w in _WORD_OR_STOP.findall(normalise(text))
    ]
    joined: list[str] = []
    for word in words:
        # «بی کیفیت» written apart is one word to the lexicon: join the separated prefix.
        if joined and joined[-1] == "بی" and word not in _ENTRIES_FIRST_AFTER_BI:
            joined[-1] = "بی" + word
        else:
            joined.append(word)
    return joined


# «بی» + X stays two words only where the phrase table knows them apart («بی عیب و نقص»).
_ENTRIES_FIRST_AFTER_BI: Final = frozenset(k[1] for k in _ENTRIES if len(k) > 1 and k[0] == "بی")


def _clause(window: list[str]) -> list[str]:
    """The words of ``window`` up to a clause boundary or a contrast («خوب بود ولی نمیدونم»)."""
    for index, word in enumerate(window):
        if word == _BOUNDARY or word in _CONTRASTS:
            return window[:index]
    return window


def score_text(text: str) -> LexiconScore:
    """Score one text with the lexicon (negation, intensity and contrast applied)."""
    words = _words(text)
    positive = negative = after = 0.0
    negations = terms = 0
    i = 0
    while i < len(words):
        word = words[i]
        if word in _CONTRASTS:
            after = 0.0
            i += 1
            continue
        if word == _BOUNDARY:
            i += 1
            continue
        size, weights = 1, None
        for phrase in _PHRASES_BY_FIRST.get(word, ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                size, weights = len(phrase), _ENTRIES[phrase]
                break
        if weights is None:
            weights = _lookup_word(word)
        if weights is None:
            i += 1
            continue
        end = i + size
        following = _clause(words[end : end + _WINDOW_AFTER])
        before = _clause(words[max(0, i - _WINDOW_BEFORE) : i][::-1])
        negated = any(_is_negator_after(w) for w in following) or any(
            w in _NEGATORS_BEFORE for w in before
        )
        value = weights[1] if negated else weights[0]
        if any(w in _INTENSIFIERS for w in before):
            value *= 1.5
        elif any(w in _SOFTENERS for w in before):
            value *= 0.5
        if value > 0:
            positive += value
        else:
            negative -= value
        after += value
        negations += negated
        terms += 1
        i = end
    return LexiconScore(positive, negative, negations, after, terms)


def _is_question(text: str) -> bool:
    return bool(re.search(r"[?؟]\s*$", text.strip()))


def features(text: str) -> list[float]:
    """Dense features of one text: evidence for and against, their balance, and shape."""
    found = score_text(text)
    return [
        math.log1p(found.positive),
        math.log1p(found.negative),
        math.tanh(found.net / 2),
        math.tanh(found.after_contrast / 2),
        float(found.negations > 0),
        float(_is_question(text)),
    ]


class LexiconFeatures(BaseEstimator, TransformerMixin):
    """``features`` for a batch of raw texts, scaled by ``weight``, as a sparse matrix.

    ``weight`` sets how loud the six dense columns are next to thousands of TF-IDF columns: with
    one regularisation constant for all, a larger weight lets the classifier lean on them more.
    """

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def fit(self, texts: Sequence[str], y: Any = None) -> LexiconFeatures:
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        rows = np.array([features(text) for text in texts], dtype=float).reshape(len(texts), -1)
        return sparse.csr_matrix(rows * self.weight)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        names = ["positive", "negative", "net", "after_contrast", "negated", "question"]
        return np.array([f"lexicon_{name}" for name in names], dtype=object)


def size() -> int:
    """Number of entries (words and phrases) in the lexicon."""
    return len(_ENTRIES)

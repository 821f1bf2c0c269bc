"""Stop words: function words that say nothing about what a customer talks about.

The lists are written in ordinary spelling and folded through :func:`normalise` at import, so
they match normalised text whatever keyboard or chat spelling it came in. The Persian list covers
formal and colloquial forms (prepositions, pronouns and their clitic forms, conjunctions,
auxiliaries and light verbs, quantifiers, fillers). Sentiment words (خوب, بد, عالی) are *not*
stop words: "what customers talk about" includes how they feel about it.
"""

from __future__ import annotations

from typing import Final

from mehvar.text.normalise import normalise

__all__ = ["ENGLISH", "PERSIAN", "is_stop_word"]


def _split(words: str) -> list[str]:
    """The whitespace-separated words of a block (lists written as text read better)."""
    return words.split()


_PERSIAN_WORDS: Final = _split(
    """
و یا اما ولی ولیکن لیکن اگر اگه گر که چون چونکه زیرا چرا چه چی چیه چیو چیزی چیز چیزا را رو از
ازش ازشون ازم ازت ازمون به بهش بهشون بهم بهت بهمون با باهاش باهاشون باهام باهات در تو توی توش
توشون توم برای واسه واسه‌ی برا برام برات براش برامون براتون براشون بر روی رویش زیر پیش پس بعد
قبل بین میان تا جز غیر بجز بدون درباره دربارهٔ مورد این اون آن همین همون همان هم همه همهٔ همش
همشون همه‌چی همه‌چیز همینطور همینطوری اینجا اونجا آنجا اینطور اونطور اینطوری اونطوری اینها اونها
آنها اینا اونا این‌ها آن‌ها من تو او اون ما شما ایشان ایشون اونها خودم خودت خودش خودمون خودتون
خودشون خود مرا تورا اورا مارا شمارا ام ات اش مان تان شان م ت ش است هست هستش هستم هستی هستیم
هستید هستند هستن نیست نیستم نیستی نیستیم نیستید نیستند نیستن بود بودم بودی بودیم بودید بودند
بودن باشد باشه باشم باشی باشیم باشید باشند باشن شد شده شدم شدی شدیم شدید شدند شدن شود شوند میشه
میشد میشود میشن میشدم بشه بشود بشن کرد کرده کردم کردی کردیم کردید کردند کردن کنه کند کنم کنی
کنیم کنید کنند کنن میکنه میکند میکنم میکنی میکنیم میکنید میکنند میکنن میکرد میکردم بکنه بکنم
بکنید بکنی داشت داشته داشتم داشتی داشتیم داشتید داشتند داشتن دارد داره دارم داری داریم دارید
دارند دارن خواهد خواهم خواهند میخواد میخوام میخوای میخوایم میخواین گفت گفتم گفتن گفتند میگه میگن
میگفت گفته رفت رفتم رفته میره میرم دیگه دیگر دیگری دیگران بقیه یک یه یکی یکم دو سه چند چندتا
چندین تعداد عدد تا هر هرچی هرچه هیچ هیچی هیچکس هیچکدوم کسی کس کسایی خیلی بسیار زیاد زیادی کم کمی
یکم نسبتا تقریبا کاملا واقعا واقعاً فقط حتی هنوز الان اکنون حالا دیگه باز بازم هم‌چنین همچنین
نیز البته شاید احتمالا لطفا ممنون مرسی چطور چطوری چگونه کجا کی کی‌ها کدام کدوم چقدر چقد چند بله
آره نه نخیر اره اوکی خب یعنی مثلا مثل مانند همچون طور طوری جوری جور وقتی زمانی موقع هنگام وقت
بار دفعه دفعه‌ای اول آخر آخرش اولش بعدش قبلش بعدا قبلا ها های هایی تر ترین ای اید ایم اند شاید
باید نباید میشه نمیشه میتونه میتونم نمیتونم نمیتونه توان تونست ی ک ب چ آقا خانم جناب سرکار جا
جای جایی اومد اومدن اومده اومدم میاد میان بیاد بیاین آمد آمده آورد آوردن آورده میارن بیارن گرفتم
گرفت گرفتن گرفته میگیرم دادم داد دادن داده دادند میدن میدم زدم زد زدن کردیم کنین بکنین شدیم شدین
بودین هستین هستیم دارین دادین گفتین
"""
)

_ENGLISH_WORDS: Final = _split(
    """
a an the and or but if then else so because as of at by for with about against between into
through during before after above below to from up down in out on off over under again further
once here there when where why how all any both each few more most other some such no nor not
only own same than too very s t can will just don should now i me my myself we our ours
ourselves you your yours yourself yourselves he him his himself she her hers herself it its
itself they them their theirs themselves what which who whom this that these those am is are was
were be been being have has had having do does did doing would could ought i'm you're he's she's
it's we're they're i've you've we've they've i'd you'd he'd she'd we'd they'd i'll you'll he'll
she'll we'll they'll isn't aren't wasn't weren't hasn't haven't hadn't doesn't don't didn't
won't wouldn't shan't shouldn't can't cannot couldn't mustn't let's that's who's what's here's
there's when's where's why's how's also get got one two really just still even much many lot
lots us im dont cant ive got
"""
)


def _fold(words: list[str]) -> frozenset[str]:
    # A written entry may fold into two words («همه‌چی» keeps one, «برای» stays one); each part
    # is a stop word on its own anyway.
    return frozenset(part for word in words for part in normalise(word).split())


PERSIAN: Final[frozenset[str]] = _fold(_PERSIAN_WORDS)
ENGLISH: Final[frozenset[str]] = _fold(_ENGLISH_WORDS)
_ALL: Final = PERSIAN | ENGLISH


def is_stop_word(word: str) -> bool:
    """True for a normalised word that is a stop word in either language (or a bare number)."""
    return word in _ALL or word.isdigit() or len(word) < 2

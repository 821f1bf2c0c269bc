"""mehvar.text: sentiment, normalisation and keywords for Persian and English customer text.

A pure library (no Django): the app and the ``mehvar text`` command call ``sentiment.analyse``,
``sentiment.train_company_model``, ``topics.top_keywords`` and ``files`` at their edges. The
shipped models and how they were made are described in ``DATA_CARD.md``.
"""

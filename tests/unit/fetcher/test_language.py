"""An article's language from its text when its page or feed does not say it."""

# ruff: noqa: RUF001 (texts in other scripts)

from __future__ import annotations

import pytest

from services.fetcher.language import detected_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("В Москве открылась новая линия метро: семь станций и триста тысяч пассажиров.", "ru"),
        ("台风梅花周三晚间在上海沿海登陆，上海市政府表示已紧急转移超过五万名居民。", "zh"),
        ("23日午前、東京都内で震度5強の地震がありました。津波の心配はありません。", "ja"),
        ("تشهد القاهرة موجة حر شديدة، إذ تجاوزت درجات الحرارة 45 درجة مئوية يوم الأحد.", "ar"),
        ("A storm closed the Oresund bridge between Denmark and Sweden for 14 hours.", "en"),
    ],
)
def test_the_language_is_told_from_the_text(text: str, language: str):
    assert detected_language(text) == language


def test_a_text_too_short_to_tell_has_no_language():
    assert detected_language("Hi there") is None

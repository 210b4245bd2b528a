"""Guardrails: personal data is redacted, banned claims are found, unsupported numbers caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livelens.qa.guardrails import (
    banned_claims,
    check_answer,
    find_personal_data,
    numbers_in,
    redact_personal_data,
    unsupported_numbers,
)


@pytest.mark.parametrize(
    ("text", "kind", "secret"),
    [
        ("我手机13912345678，能先发货吗", "phone", "13912345678"),
        ("电话138-1234-5678 多少钱", "phone", "1234-5678"),
        ("+86 15900001234 发货了吗", "phone", "15900001234"),
        ("座机021-66668888 联系我", "phone", "66668888"),
        ("加我微信abc_12345 拿福利", "wechat", "abc_12345"),
        ("v信：lucy2024 有吗", "wechat", "lucy2024"),
        ("我qq12345678 耳机多少钱", "qq", "12345678"),
        ("扣扣号 87654321", "qq", "87654321"),
        ("身份证110105199003071234可以实名买吗", "id_number", "110105199003071234"),
        ("身份证号11010519900307123X", "id_number", "11010519900307123X"),
        ("卡号6222020200112233445 能用吗", "bank_card", "6222020200112233445"),
        ("邮箱abc123@163.com 能开发票吗", "email", "abc123@163.com"),
        ("我住北京市朝阳区建国路88号3号楼201室能包邮吗", "address", "建国路88号"),
        ("寄到广州市天河区天河路385号 包邮吗", "address", "天河路385号"),
        ("阳光小区5栋2单元301 能送到吗", "address", "5栋2单元"),
    ],
)
def test_personal_data_is_redacted(text: str, kind: str, secret: str) -> None:
    redaction = redact_personal_data(text)
    assert kind in redaction.kinds
    assert secret not in redaction.text
    assert find_personal_data(redaction.text) == []


@pytest.mark.parametrize(
    "text",
    [
        "160 100斤穿什么码",
        "身高165体重110穿多大",
        "到手价99元吗",
        "20000mah能上飞机吗",
        "3号链接多少钱",
        "25g×30袋",
        "新疆包邮吗",
        "双十一前能到吗",
        "腰围2尺拍什么码",
    ],
)
def test_ordinary_questions_are_left_alone(text: str) -> None:
    assert redact_personal_data(text) == (text, ())


@given(st.text(alphabet="0123456789 -+微信qQ号：abc北京路市区栋室@.", max_size=60))
def test_redaction_is_idempotent_and_leaves_no_phone(text: str) -> None:
    once = redact_personal_data(text)
    assert redact_personal_data(once.text).text == once.text
    assert "phone" not in find_personal_data(once.text)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("效果最好，三天根治干燥起皮", ["最好", "根治"]),
        ("全网最低价", ["全网最低"]),
        ("销量第一的精华", ["第一"]),
        ("国家级品质，顶级面料", ["国家级", "顶级"]),
        ("极品好茶", ["极品"]),
        ("万能充电宝", ["万能"]),
        ("能治疗痘痘，药效显著", ["治疗", "药效"]),
        ("坚持用可以治愈湿疹", ["治愈"]),
        ("效果最好", ["最好"]),
        ("唯一正品渠道", ["唯一"]),
        ("產品療效顯著", ["疗效"]),  # Traditional characters are read as Simplified
    ],
)
def test_banned_claims_are_found(text: str, found: list[str]) -> None:
    assert set(found) <= set(banned_claims(text))


@pytest.mark.parametrize(
    "text",
    [
        "最近很火，最后3件",
        "第一次买可以先拍一件",
        "第一件原价，第二件半价",
        "最少买两件，最多买五件",
        "支持七天无理由退换",
        "80%棉，20%聚酯纤维",
    ],
)
def test_ordinary_words_are_not_banned(text: str) -> None:
    assert banned_claims(text) == []


def test_numbers_in_text() -> None:
    assert numbers_in("到手价99元，原价189.00元，七天无理由，限时5分钟") == {
        "99",
        "189",
        "七",
        "5",
    }


def test_unsupported_numbers_and_check_answer() -> None:
    facts = {"price_yuan": "99", "promo_remaining_min": "5"}
    assert unsupported_numbers("宝宝，到手价99元，限时5分钟哦", facts) == []
    assert unsupported_numbers("宝宝，到手价89元，明天到", facts) == ["89"]
    assert check_answer("宝宝，到手价89元哦", facts) == "number_not_in_catalog:89"
    assert check_answer("宝宝，效果最好哦", {}) == "banned_claim:最好"
    assert check_answer("宝宝，加微信abc12345哦", {}) == "personal_data:wechat"
    assert check_answer("宝宝，到手价99元哦", facts) is None

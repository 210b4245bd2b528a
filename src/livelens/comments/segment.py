"""Words of a live-commerce comment: rjieba plus the room's own vocabulary.

rjieba (jieba's dictionary and algorithm in Rust, ~25x faster) splits general Chinese well but
knows neither live-room jargon ("上链接", "福袋", "七天无理由") nor the products on sale, and
cuts them apart ("多少钱包邮" → 多少/钱包/邮). Each :class:`Segmenter` owns its own
``rjieba.Jieba`` instance, so rooms with different catalogs never share dictionary entries.
Input is the output of :func:`livelens.comments.normalize.normalize`; the domain words are
written in that normalized form.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Final

import rjieba

from livelens.comments.normalize import normalize

# A frequency high enough that a dictionary word beats any split through a common word
# ("多少钱|包邮" over "多少|钱包|邮"), low enough not to swallow the neighbours of short words.
DOMAIN_WORD_FREQ: Final = 100_000

# Live-commerce words that generic Chinese dictionaries split (grouped by the concern they cue).
DOMAIN_WORDS: Final = (
    # price and promotions
    "多少钱", "到手价", "原价", "单价", "价位", "性价比", "福利价", "秒杀价", "专属价", "活动价",
    "券后", "优惠券", "新人券", "满减", "秒杀", "福袋", "红包雨", "抽奖", "赠品", "小样", "半价",
    "买一送一", "买二送一", "第二件", "叠券", "券",
    # buying
    "上链接", "求链接", "几号链接", "小黄车", "购物车", "拍了", "已拍", "已下单", "怎么拍",
    "怎么买", "下单", "货到付款", "花呗",
    # size and spec
    "尺码", "码数", "尺码表", "大码", "大一码", "小一码", "偏大", "偏小", "鞋码", "净含量",
    "s码", "m码", "l码", "xl码", "xxl码", "xxxl码", "xs码", "2xl码", "3xl码", "4xl码",
    # shipping
    "包邮", "不包邮", "发货", "快递", "物流", "偏远地区", "顺丰", "冷链", "预售", "现货",
    # stock
    "有货吗", "有货", "没货", "补货", "库存", "售罄", "返场", "加库存", "没抢到",
    # quality and authenticity
    "材质", "面料", "起球", "掉色", "缩水", "保质期", "敏感肌", "正品", "保真", "高仿",
    "防伪", "旗舰店", "专柜", "授权", "吊牌", "假一赔十",
    # after-sales
    "七天无理由", "无理由", "运费险", "退货", "退款", "换货", "售后", "价保", "质保",
    # host, viewers and engagement
    "主播", "家人们", "姐妹们", "直播间", "ai主播", "虚拟主播", "数字人", "打卡", "扣1",
    "滴滴", "下播", "点赞",
    # product nouns that generic dictionaries split (卫衣 → 卫|衣): hot words need them whole
    "卫衣", "毛衣", "针织衫", "打底衫", "马甲", "冲锋衣", "防晒衣", "阔腿裤", "打底裤",
    "半身裙", "睡衣", "洗发水", "护发素", "沐浴露", "洗面奶", "面膜", "精华液", "粉底液",
    "口红", "防晒霜", "保温杯", "空气炸锅", "扫地机", "平板电脑", "蓝牙耳机", "充电宝",
    # opinions
    "绝绝子", "yyds", "真香", "闭眼入", "回购", "智商税", "踩雷", "翻车", "货不对板",
)  # fmt: skip

# Separators, punctuation and math/modifier symbols are not words; emoji (category So) are kept:
# they carry feeling and make up chants.
_NOT_WORD_CATEGORIES: Final = frozenset(
    {"Zs", "Zl", "Zp", "Cc", "Cf", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sk"}
)


def _is_word(token: str) -> bool:
    """False for tokens made only of whitespace or punctuation."""
    return any(unicodedata.category(char) not in _NOT_WORD_CATEGORIES for char in token)


class Segmenter:
    """Tokenizes normalized comments with the domain words and the catalog's names kept whole.

    ``extra_terms`` are product names, brands and other catalog words; they are normalized
    here, so a catalog written in Traditional characters or full-width letters still matches.
    Building one loads rjieba's dictionary (~0.3 s); build one per room, not per comment.
    """

    def __init__(self, extra_terms: Iterable[str] = ()) -> None:
        self._jieba = rjieba.Jieba()
        self._not_words: dict[str, bool] = {}
        self.terms: frozenset[str] = frozenset(
            term for term in (normalize(t) for t in (*DOMAIN_WORDS, *extra_terms)) if term
        )
        for term in sorted(self.terms):
            self._jieba.add_word(term, DOMAIN_WORD_FREQ, None)

    def tokens(self, text: str) -> list[str]:
        """The words of ``text`` (already normalized), punctuation and spaces dropped.

        "扣" followed by a number is one token ("扣1", "扣666"), whatever the number.
        """
        not_words = self._not_words
        out: list[str] = []
        for token in self._jieba.cut(text, False):
            dropped = not_words.get(token)
            if dropped is None:
                dropped = not_words[token] = not _is_word(token) if len(token) < 8 else False
                if len(not_words) > 100_000:  # a bound on memory for adversarial input
                    not_words.clear()
            if not dropped:
                out.append(token)
        if "扣" in text:
            out = _join_kou(out)
        return out


def _join_kou(tokens: list[str]) -> list[str]:
    """Join "扣" (type into the chat) with the number that follows it: the host's call-and-reply."""
    joined: list[str] = []
    for token in tokens:
        previous = joined[-1] if joined else ""
        if (
            token.isdigit()
            and previous[:1] == "扣"
            and (len(previous) == 1 or previous[1:].isdigit())
        ):
            joined[-1] += token
        else:
            joined.append(token)
    return joined

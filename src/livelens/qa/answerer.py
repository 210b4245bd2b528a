"""One question in, one draft answer (or the reason a human must answer) out.

:class:`Answerer` is built once per catalog (the product names join the segmenter's dictionary,
the FAQ is indexed) and then drafts answers against the catalog's current state:

1. redact personal data from the question (nothing after this step sees it);
2. the comment layer: intents and whether it asks at all (non-questions and spam get no draft);
3. the topics asked (:mod:`~livelens.qa.topics`) and the product meant
   (:mod:`~livelens.qa.resolve`);
4. the catalog facts per topic (:mod:`~livelens.qa.facts`) — any topic without its facts, an
   unresolved product, an unclear intent: escalated, with the reason;
5. a template filled with the facts, in the persona's style (:mod:`~livelens.qa.answer`);
6. the guardrails (:mod:`~livelens.qa.guardrails`): a banned claim, a number that is not a fact
   or personal data in the answer blocks it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from livelens.comments.analyze import CommentAnalyzer
from livelens.comments.normalize import normalize
from livelens.qa.answer import phrase, render, style_for
from livelens.qa.catalog_files import faq_entries
from livelens.qa.facts import MATERIAL_KEYS, Context, Found, Missing, gather
from livelens.qa.faq import FaqIndex
from livelens.qa.guardrails import check_answer, redact_personal_data
from livelens.qa.knowledge import Catalog
from livelens.qa.records import Draft
from livelens.qa.resolve import ProductResolver
from livelens.qa.topics import INTENT_OF, Topic, clause_topics, reduce_topics, split_clauses

MIN_CONFIDENCE: Final = 0.6  # a comment-layer label below this does not make a topic alone
_NOT_ASKED: Final = frozenset({"spam"})

_PINNED: Final = object()  # sentinel: use the catalog's pinned product
_NEVER_AUTOMATIC: Final = (Topic.MEDICAL, Topic.COMPARISON)  # escalated whatever the product
_MIN_INGREDIENT: Final = 2
_MAX_BARE_TOPIC: Final = 4  # characters left after the name in "卫衣尺码"
# How viewers address the host and each other: not part of what they ask.
_ADDRESS: Final = re.compile(
    r"主播|宝宝们?|宝|姐妹们?|家人们?|亲|老板|请问|问下|问一下|想问|滴滴|dd|[^\w]|\s"
)
# Requests that ask for a fact: "求链接" and "上链接" want the link number, "求价格" the price.
_REQUEST: Final = re.compile(r"[求要发上](?:个|一下)?(?:链接|价格|尺码表)|link")
_LIST_SPLIT: Final = re.compile(r"[、，,；;/\s]+")
# Topics an FAQ entry never overrides, however alike its question: live facts, medical claims.
_NOT_FROM_FAQ: Final = frozenset(
    {
        Topic.MEDICAL,
        Topic.COMPARISON,
        Topic.PRICE,
        Topic.DISCOUNT,
        Topic.COUPON,
        Topic.STOCK,
        Topic.VARIANT,
    }
)


class Answerer:
    def __init__(
        self,
        catalog: Catalog,
        analyzer: CommentAnalyzer | None = None,
        *,
        min_confidence: float = MIN_CONFIDENCE,
    ) -> None:
        self.catalog = catalog
        items = [state.item for state in catalog.products()]
        self.resolver = ProductResolver(items)
        self.analyzer = analyzer or CommentAnalyzer(self.resolver.terms())
        names: dict[str | None, tuple[str, ...]] = {
            item.product_id: tuple(normalize(a) for a in item.aliases) for item in items
        }
        self.faq = FaqIndex(faq_entries(catalog), names)
        self.min_confidence = min_confidence

    def draft(
        self,
        text: str,
        at_ms: int,
        *,
        pinned: str | object | None = _PINNED,
        intents: tuple[Mapping[str, float], bool] | None = None,
        persona_id: str | None = None,
    ) -> Draft | None:
        """The draft answer to ``text`` asked at ``at_ms``; None when it asks nothing.

        ``pinned`` overrides the catalog's pinned product (evaluation, replays); ``intents`` are
        the comment layer's (labels, is_question) when the caller has them already.
        """
        redaction = redact_personal_data(text)
        clean = redaction.text
        labels, asks = intents if intents is not None else self.analyzer.intents([clean])[0]
        if _NOT_ASKED & labels.keys():
            return None
        catalog = self.catalog
        version = catalog.version
        normalized = normalize(clean)
        tokens = self.analyzer.tokens([clean])[0]
        pin = catalog.pinned if pinned is _PINNED else pinned
        resolution = self.resolver.resolve(
            normalized, tokens, pin if isinstance(pin, str) else None
        )
        if not asks and not self._asks_by_name(normalized, resolution.how):
            return None
        asked = self._topics(normalized, labels, resolution.product_id)
        topics = [topic for topic, _ in asked]

        def escalate(reason: str) -> Draft:
            return Draft(
                status="escalated",
                question=clean,
                intent=INTENT_OF[topics[0]],
                topic="+".join(topics),
                product_id=resolution.product_id,
                resolved_by=resolution.how,
                answer=None,
                body=None,
                facts={},
                catalog_version=version,
                reason=reason,
                redacted=redaction.kinds,
            )

        if resolution.reason == "product_ambiguous" and topics[0] not in _NEVER_AUTOMATIC:
            return escalate("product_ambiguous:" + ",".join(resolution.candidates))
        state = catalog.get(resolution.product_id) if resolution.product_id else None
        variants = self.resolver.variants.get(state.item.product_id) if state else None
        found: list[Found] = []
        for topic, clause in asked:
            context = Context(
                catalog, state, clause, at_ms, self.faq, variants, self.resolver.colour_words
            )
            result = gather(topic, context)
            if isinstance(result, Missing):
                return escalate(result.reason)
            found.append(result)
        rendered = [render(f) for f in found]
        facts: dict[str, str] = {}
        for part in rendered:
            facts.update(part.facts)
        body = "；".join(dict.fromkeys(part.body for part in rendered))
        answer = phrase([body], style_for(persona_id or catalog.persona_id))
        about_product = "product" in facts  # else every fact came from the room's terms
        problem = check_answer(answer, facts)
        return Draft(
            status="blocked" if problem else "answered",
            question=clean,
            intent=INTENT_OF[topics[0]],
            topic="+".join(topics),
            product_id=resolution.product_id if about_product else None,
            resolved_by=resolution.how if about_product else "room",
            answer=None if problem else answer,
            body=None if problem else body,
            facts=facts,
            catalog_version=version,
            reason=problem,
            redacted=redaction.kinds,
        )

    def _asks_by_name(self, normalized: str, how: str | None) -> bool:
        """What the comment layer does not count as a question but a host answers.

        A product name plus a topic word ("卫衣尺码", "主播 毛衣价格", "防晒保质期") and requests
        for a fact ("求链接", "上链接").
        """
        if _REQUEST.search(normalized):
            return True
        if how not in ("named", "link"):
            return False
        rest = _ADDRESS.sub("", self.resolver.strip_names(normalized))
        if not rest or len(rest) > _MAX_BARE_TOPIC:
            return False
        return not {*clause_topics(rest, {})} & {Topic.OTHER, Topic.VARIANT}

    def _names_ingredient(self, clause: str, product_id: str | None) -> bool:
        """Whether the clause names something the product's material or ingredients list."""
        state = self.catalog.get(product_id) if product_id else None
        if state is None:
            return False
        attributes = state.item.product.attributes
        for key in MATERIAL_KEYS:
            value = attributes.get(key)
            for text in [value] if isinstance(value, str) else value or []:
                for item in _LIST_SPLIT.split(normalize(text)):
                    word = item.strip("0123456789%")
                    if len(word) >= _MIN_INGREDIENT and word in clause:
                        return True
        return False

    def _topics(
        self, normalized: str, labels: Mapping[str, float], product_id: str | None
    ) -> list[tuple[Topic, str]]:
        """(topic, clause) pairs the comment asks: each clause read on its own.

        Cues are read with the product names and link numbers taken out ("羊绒衫多少" asks a
        price, not a material; "3号链接多少钱" does not ask how to buy). A clause that an FAQ
        entry matches almost word for word is that entry's question, unless it asks a live fact
        or a medical one. A clause with no topic of its own counts when it asks something itself
        (an FAQ may answer it; else the comment is escalated as unclear); asides ("yyds",
        "主播") do not. A one-clause comment falls back on the comment layer's labels.
        """
        clauses = split_clauses(normalized)
        if len(clauses) == 1:
            clause_labels = {clauses[0]: (labels, True)}
        else:
            clause_labels = dict(zip(clauses, self.analyzer.intents(clauses), strict=True))
        found: list[tuple[Topic, str]] = []
        for clause, (clause_label, asks) in clause_labels.items():
            confident = {k: v for k, v in clause_label.items() if v >= self.min_confidence}
            colour = any(word in clause for word in self.resolver.colour_words)
            cues = self.resolver.strip_names(clause) or clause
            topics = clause_topics(cues, confident, variant_found=colour)
            if not _NOT_FROM_FAQ & {*topics} and self.faq.strong(clause, product_id):
                topics = [Topic.OTHER]
            elif topics == [Topic.OTHER] and self._names_ingredient(clause, product_id):
                topics = [Topic.MATERIAL]  # "精华里有烟酰胺吗"
            elif topics == [Topic.OTHER] and not asks:
                continue
            found += [(topic, clause) for topic in topics]
        return reduce_topics(found or [(Topic.OTHER, normalized)])


__all__ = ["Answerer", "Topic"]

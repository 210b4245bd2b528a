"""Live Q&A for the AI host: viewers' questions answered from the catalog, never beyond it.

The chain: a question comment (``comments`` layer: intents, question flag) → what exactly is asked
(:mod:`~livelens.qa.topics`) → which product (:mod:`~livelens.qa.resolve`) → the catalog facts
that answer it (:mod:`~livelens.qa.facts` over :mod:`~livelens.qa.knowledge`) → a template
filled with those facts in the persona's style (:mod:`~livelens.qa.answer`) → the guardrails
(:mod:`~livelens.qa.guardrails`) → merged with the same question from other viewers, routed by
the room's autonomy level, logged with the catalog version (:mod:`~livelens.qa.room`,
:mod:`~livelens.qa.queue`). See docs/qa.md.
"""

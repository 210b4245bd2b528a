"""The knowledge layer: what the data says turned into actions, and proof of whether they worked.

Playbooks (:mod:`~livelens.knowledge.playbooks`, manager-authored YAML) read live facts
(:mod:`~livelens.knowledge.facts`); the recommender (:mod:`~livelens.knowledge.recommender`) turns
those that fire into ranked recommendations within the price guardrails and likeness licences;
the uplift ledger (:mod:`~livelens.knowledge.ledger`, :mod:`~livelens.knowledge.uplift`) keeps
each recommendation's fate and measured outcome; the replay sandbox
(:mod:`~livelens.knowledge.replay`) runs playbooks over a stored session. See docs/knowledge.md.
Switchback experiments (:mod:`~livelens.knowledge.experiments`) test an action by randomising
time slices of a session; see docs/experiments.md.
"""

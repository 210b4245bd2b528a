"""Fixtures for the Q&A tests: the fixed test catalog (tests/qa/catalog.json) in its eval state."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from qa_evaluation import ASKED_AT_MS, CATALOG, ROOM, T0_MS, eval_catalog

from livelens.comments.analyze import CommentAnalyzer
from livelens.qa.answerer import Answerer
from livelens.qa.catalog_files import load_catalog
from livelens.qa.knowledge import Catalog
from livelens.qa.resolve import ProductResolver

__all__ = ["ASKED_AT_MS", "T0_MS"]


@pytest.fixture(scope="session")
def analyzer() -> CommentAnalyzer:
    """One comment analyzer (its segmenter knows the test catalog's names) for every test."""
    catalog = load_catalog(CATALOG, ROOM)
    return CommentAnalyzer(ProductResolver([s.item for s in catalog.products()]).terms())


@pytest.fixture
def catalog() -> Catalog:
    """A fresh test catalog with the eval state: a flash price on the hoodie (99 yuan, 5 min
    from T0), the serum's price changed to 199, a 20% promo on the nuts (10 min from T0)."""
    return eval_catalog()


@pytest.fixture
def plain_catalog() -> Catalog:
    """The test catalog as loaded: no promos, no price changes, nothing pinned."""
    return load_catalog(CATALOG, ROOM)


@pytest.fixture
def make_answerer(analyzer: CommentAnalyzer) -> Callable[[Catalog], Answerer]:
    def make(catalog: Catalog) -> Answerer:
        return Answerer(catalog, analyzer)

    return make


@pytest.fixture
def answerer(catalog: Catalog, make_answerer: Callable[[Catalog], Answerer]) -> Answerer:
    return make_answerer(catalog)

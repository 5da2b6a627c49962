"""Archive search, insensitive to Vietnamese diacritics, ranked, over the narrow search table.

Where the text lives:
- PostgreSQL: `archive_searchentry.vector`, to_tsvector('simple', quorum_unaccent(…)) of the
  title (weight A) and the search text, with a GIN index; triggers keep it in step with the
  documents (migration 0003).
- SQLite: an FTS5 table holding the folded text (archive.text.fold), rowid = document id.
Queries are parsed by archive.text.parse_query: only words reach the engines, as parameters.

How a page of results is found (the cost does not grow with the number of matches):
- Matches are taken newest first (meeting date, then id). With the (unit, date) and (date)
  indexes PostgreSQL walks the period backwards and stops once it has enough; for rare words
  it uses the GIN index instead (the planner chooses from the word statistics).
- The RANK_WINDOW newest matches are ordered by relevance (ts_rank / bm25); matches beyond
  the window follow, newest first. One total order, so pages never repeat or skip a result.
  Narrowing the period or the unit brings older documents into the ranked window.
- The count stops at COUNT_CAP ("more than 1,000"): an exact count would read every match.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from archive.models import IssuedDocument, SearchEntry
from archive.text import fold

TABLE = SearchEntry._meta.db_table
FTS_TABLE = "archive_document_fts"
RANK_WINDOW = 200  # a multiple of the page size
COUNT_CAP = 1000
NEWEST_FIRST = ("-meeting_date", "-document_id")


@contextmanager
def planned() -> Iterator[None]:
    """Run the search's statements in one transaction where PostgreSQL prices a random read
    as what it is once the table is in memory (random_page_cost 1.1, the usual SSD setting,
    instead of the default 4 made for spinning disks). Otherwise the planner prefers a GIN
    bitmap over 50,000+ postings of a common word to walking the few hundred rows of a unit's
    period: 20-60 ms instead of 1-2 ms (EXPLAIN ANALYZE at 100,000 documents)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL random_page_cost = 1.1")
        yield


def index(doc: IssuedDocument) -> None:
    """Keep the SQLite FTS table in step (PostgreSQL's trigger needs nothing)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [doc.pk])  # noqa: S608 - constant table name
        cursor.execute(f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (%s, %s)", [doc.pk, fold(doc.search_text)])  # noqa: S608


def _pg_query(terms: list[str]) -> tuple[str, list[str]]:
    return "plainto_tsquery('simple'::regconfig, %s)", [" ".join(terms)]


def _fts_match(terms: list[str]) -> str:
    return " ".join(f'"{t}"' for t in terms)  # each term quoted: FTS5 syntax cannot get in


def matching(qs: QuerySet[SearchEntry], terms: list[str]) -> QuerySet[SearchEntry]:
    """Entries containing every term (all entries when there are no terms)."""
    if not terms:
        return qs
    if connection.vendor == "postgresql":
        query, params = _pg_query(terms)
        hit = RawSQL(f"{TABLE}.vector @@ {query}", params, output_field=BooleanField())  # noqa: S611 - words as parameters
    else:
        hit = RawSQL(f"{TABLE}.document_id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)",  # noqa: S611, S608
                     [_fts_match(terms)], output_field=BooleanField())
    return qs.filter(hit)


def capped_count(qs: QuerySet[SearchEntry], cap: int | None = None) -> tuple[int, bool]:
    """(number of matches up to `cap` (COUNT_CAP), whether there are more). Newest first, so
    PostgreSQL can stop walking the date index after cap + 1 rows."""
    cap = COUNT_CAP if cap is None else cap
    n = qs.order_by(*NEWEST_FIRST).values("document_id")[: cap + 1].count()
    return min(n, cap), n > cap


def page_ids(qs: QuerySet[SearchEntry], terms: list[str], offset: int, limit: int) -> list[int]:
    """Document ids of results offset … offset + limit in the order described above."""
    newest = qs.order_by(*NEWEST_FIRST)
    if not terms:
        return list(newest.values_list("document_id", flat=True)[offset:offset + limit])
    ids: list[int] = []
    if offset < RANK_WINDOW:
        ids = _ranked_window(newest, terms, offset, min(limit, RANK_WINDOW - offset))
    if offset + limit > RANK_WINDOW:
        start = max(offset, RANK_WINDOW)
        ids += list(newest.values_list("document_id", flat=True)[start:offset + limit])
    return ids


def _ranked_window(newest: QuerySet[SearchEntry], terms: list[str], offset: int, limit: int) -> list[int]:
    """Rank the RANK_WINDOW newest matches, then take a page of them: one statement."""
    if connection.vendor == "postgresql":
        vector = RawSQL(f"{TABLE}.vector", [])  # noqa: S611 - a constant column name
        window = newest.annotate(v=vector).values("document_id", "meeting_date", "v")
        query, query_params = _pg_query(terms)
        rank = f"ts_rank(c.v, {query})"
    else:
        window = newest.values("document_id", "meeting_date")
        query_params = [_fts_match(terms)]
        rank = f"(SELECT bm25({FTS_TABLE}) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid = c.document_id)"  # noqa: S608
        rank = f"-{rank}"  # bm25: lower is better
    inner, inner_params = window[:RANK_WINDOW].query.sql_with_params()
    sql = (f"SELECT c.document_id FROM ({inner}) c "  # noqa: S608 - built from the ORM's SQL and constants
           f"ORDER BY {rank} DESC, c.meeting_date DESC, c.document_id DESC LIMIT %s OFFSET %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*inner_params, *query_params, limit, offset])
        return [row[0] for row in cursor.fetchall()]

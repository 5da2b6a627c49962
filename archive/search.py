"""Archive search, insensitive to Vietnamese diacritics, ranked.

PostgreSQL: full-text search over `quorum_unaccent(search_text)` (an IMMUTABLE wrapper of the
`unaccent` extension) with the `simple` configuration, stored as a generated tsvector column
with a GIN index.
SQLite: an FTS5 table holding the folded text (archive.text.fold), rowid = document id.
Queries are parsed by archive.text.parse_query: only words reach the engines, as parameters.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, F, FloatField, QuerySet
from django.db.models.expressions import RawSQL

from archive.models import IssuedDocument
from archive.text import fold

TABLE = IssuedDocument._meta.db_table
# A generated column (migration 0002): to_tsvector('simple', quorum_unaccent(search_text)).
PG_VECTOR = f"{TABLE}.search_vector"
FTS_TABLE = "archive_document_fts"


def index(doc: IssuedDocument) -> None:
    """Keep the SQLite FTS table in step (PostgreSQL's expression index needs nothing)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [doc.pk])  # noqa: S608 - constant table name
        cursor.execute(f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (%s, %s)", [doc.pk, fold(doc.search_text)])  # noqa: S608


def matching(qs: QuerySet[IssuedDocument], terms: list[str]) -> QuerySet[IssuedDocument]:
    """Documents containing every term, annotated with `rank` and ordered by it."""
    if not terms:
        return qs.annotate(rank=RawSQL("0", [], output_field=FloatField())).order_by("-meeting_date", "-id")
    words = " ".join(terms)
    if connection.vendor == "postgresql":
        query = "plainto_tsquery('simple'::regconfig, %s)"
        hit = RawSQL(f"{PG_VECTOR} @@ {query}", [words], output_field=BooleanField())  # noqa: S611 - constant SQL, words as a parameter
        rank = RawSQL(f"ts_rank({PG_VECTOR}, {query})", [words], output_field=FloatField())  # noqa: S611
    else:
        match = " ".join(f'"{t}"' for t in terms)  # each term quoted: FTS5 syntax cannot get in
        hit = RawSQL(f"{TABLE}.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)", [match],  # noqa: S611, S608
                     output_field=BooleanField())
        rank = RawSQL(  # noqa: S611
            f"(SELECT -bm25({FTS_TABLE}) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid = {TABLE}.id)",  # noqa: S608
            [match], output_field=FloatField())
    return qs.filter(hit).annotate(rank=rank).order_by(F("rank").desc(), "-meeting_date", "-id")

from rest_framework.pagination import LimitOffsetPagination


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """`limit` above 200 is clamped to 200 (a huge number used to reach the database: D15)."""

    max_limit = 200

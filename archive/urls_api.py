from django.urls import path

from archive.api import ArchiveSearchView

urlpatterns = [path("archive/", ArchiveSearchView.as_view(), name="api-archive")]

from django.urls import path

from archive import views, views_actions, views_dashboard, views_export

# Included at the site root; URL names without a namespace (navigation reverses them).
urlpatterns = [
    path("archive/", views.archive_index, name="archive"),
    path("archive/documents/<int:pk>/", views.document_detail, name="archive_document"),
    path("archive/documents/<int:pk>/file.<str:kind>", views.document_file, name="archive_file"),
    path("archive/documents/<int:pk>/sign/", views.document_sign, name="archive_sign"),
    path("archive/export/", views_export.export_start, name="archive_export"),
    path("archive/export/<int:pk>/", views_export.export_status, name="archive_export_status"),
    path("archive/export/<int:pk>/download/", views_export.export_download, name="archive_export_download"),
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
    path("actions/units/", views_actions.unit_actions, name="unit_actions"),
    path("actions/mine/", views_actions.my_actions, name="my_actions"),
    path("actions/<int:item_id>/status/", views_actions.action_status, name="action_status"),
    path("minutes/<int:occurrence_id>/signoff/", views.minutes_workflow, name="minutes_workflow"),
]

from django.urls import path

from minutes import rollcall_views, views, views_structure

app_name = "minutes"
urlpatterns = [
    path("preview/", views.preview, name="preview"),
    path("units/<int:unit_id>/actions/", views.unit_actions, name="unit-actions"),
    path("actions/<int:item_id>/status/", views.set_action_status, name="action-status"),
    path("<int:occurrence_id>/", views.page, name="page"),
    path("<int:occurrence_id>/data/", views.detail, name="detail"),
    path("<int:occurrence_id>/attendance/<int:record_id>/", views.set_attendance, name="attendance"),
    path("<int:occurrence_id>/roll-call/", rollcall_views.section, name="roll-call"),
    path("<int:occurrence_id>/roll-call/add/", rollcall_views.add_entry, name="roll-call-add"),
    path("<int:occurrence_id>/roll-call/<int:record_id>/", rollcall_views.set_entry, name="roll-call-set"),
    path("<int:occurrence_id>/roll-call/units/<int:unit_id>/present/", rollcall_views.unit_present, name="roll-call-unit"),
    path("<int:occurrence_id>/conclusions/", views.add_conclusion, name="conclusions"),
    path("<int:occurrence_id>/actions/", views.add_action_item, name="actions"),
    path("<int:occurrence_id>/sections/", views.add_section, name="sections"),
    path("<int:occurrence_id>/sections/<int:section_id>/remove/", views_structure.remove_section, name="section-remove"),
    path("<int:occurrence_id>/sections/<int:section_id>/move/", views_structure.move_section, name="section-move"),
    path("<int:occurrence_id>/scribes/", views_structure.scribes, name="scribes"),
    path("<int:occurrence_id>/issue/", views.issue, name="issue"),
    path("<int:occurrence_id>/revisions/", views.revisions, name="revisions"),
    path("<int:occurrence_id>/revisions/<int:a>/diff/<int:b>/", views.revision_diff, name="diff"),
    path("<int:occurrence_id>/revisions/<int:number>/restore/", views.restore, name="restore"),
]

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from meetings.api import views

router = DefaultRouter(trailing_slash=True)
router.register("units", views.UnitViewSet, basename="unit")
router.register("rooms", views.RoomViewSet, basename="room")
router.register("bookings", views.BookingViewSet, basename="booking")

booking_approve = views.BookingViewSet.as_view({"post": "approve"})
booking_reject = views.BookingViewSet.as_view({"post": "reject"})

urlpatterns = [
    path("meetings/", views.MeetingListView.as_view(), name="api-meetings"),
    path("meetings/<uuid:uid>/", views.MeetingDetailView.as_view(), name="api-meeting"),
    path("meetings/<uuid:uid>/cancel/", views.MeetingCancelView.as_view(), name="api-meeting-cancel"),
    path("meetings/<uuid:uid>/publish/", views.MeetingPublishView.as_view(), name="api-meeting-publish"),
    path("calendar/", views.CalendarView.as_view(), name="api-calendar"),
    path("availability/", views.AvailabilityView.as_view(), name="api-availability"),
    path("bookings/<int:pk>/approve/", booking_approve, name="api-booking-approve"),
    path("bookings/<int:pk>/reject/", booking_reject, name="api-booking-reject"),
    path("", include(router.urls)),
]

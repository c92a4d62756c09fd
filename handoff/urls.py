from django.urls import path

from handoff import views

app_name = "handoff"
urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("handoffs/<int:pk>/claim/", views.claim, name="claim"),
    path("handoffs/<int:pk>/accept/", views.accept, name="accept"),
    path("handoffs/<int:pk>/reject/", views.reject, name="reject"),
    path("handoffs/<int:pk>/release/", views.release, name="release"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/badge/", views.notification_badge, name="notification_badge"),
    path("notifications/read/", views.mark_all_read, name="mark_all_read"),
]

from django.urls import path

from handoff import views, views_policy, views_scoring, views_work

app_name = "handoff"
urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("handoffs/<int:pk>/claim/", views.claim, name="claim"),
    path("handoffs/<int:pk>/accept/", views.accept, name="accept"),
    path("handoffs/<int:pk>/reject/", views.reject, name="reject"),
    path("handoffs/<int:pk>/release/", views.release, name="release"),
    path("handoffs/<int:pk>/", views_work.handoff_detail, name="detail"),
    path("handoffs/<int:pk>/qualify/", views_work.qualify, name="qualify"),
    path("handoffs/<int:pk>/reassign/", views_work.reassign, name="reassign"),
    path("leads/<int:pk>/touch/", views_work.log_touch, name="log_touch"),
    path("leads/<int:pk>/answers/", views_work.record_answer, name="record_answer"),
    path("availability/", views_work.set_availability, name="availability"),
    path("policy/", views_policy.policy, name="policy"),
    path("scoring/", views_scoring.rules, name="scoring_rules"),
    path("scoring/progress/", views_scoring.rescore_progress, name="rescore_progress"),
    path("scoring/new/", views_scoring.rule_edit, name="scoring_rule_create"),
    path("scoring/<int:pk>/", views_scoring.rule_edit, name="scoring_rule_edit"),
    path("scoring/<int:pk>/toggle/", views_scoring.rule_toggle, name="scoring_rule_toggle"),
    path("scoring/<int:pk>/<str:direction>/", views_scoring.rule_move, name="scoring_rule_move"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/badge/", views.notification_badge, name="notification_badge"),
    path("notifications/read/", views.mark_all_read, name="mark_all_read"),
]

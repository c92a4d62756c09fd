from django.urls import path

from tasks import views, views_day

app_name = "tasks"
urlpatterns = [
    path("", views.task_list, name="list"),
    path("on/<str:kind>/<int:pk>/", views.add_task, name="add"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/done/", views.complete, name="complete"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("day/", views_day.my_day, name="my_day"),
    path("team/", views_day.team_day, name="team_day"),
    path("calendar/new/", views_day.calendar_issue, name="calendar_issue"),
    path("calendar/off/", views_day.calendar_revoke, name="calendar_revoke"),
    path("calendar/<int:user_id>/<str:token>.ics", views_day.calendar_feed, name="calendar_feed"),
]

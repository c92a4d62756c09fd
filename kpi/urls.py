from django.urls import path

from kpi import views

app_name = "kpi"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.dashboard_csv, name="export"),
    path("definitions/", views.definitions, name="definitions"),
    path("targets/", views.targets, name="targets"),
    path("targets/<int:pk>/delete/", views.target_delete, name="target_delete"),
    path("mine/", views.mine, name="mine"),
]

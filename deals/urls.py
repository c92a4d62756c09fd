from django.urls import path

from deals import views

app_name = "deals"
urlpatterns = [
    path("<int:pk>/", views.deal_detail, name="detail"),
    path("from-handoff/<int:pk>/", views.open_from_handoff, name="open_from_handoff"),
]

from django.urls import path

from nurture import views, views_public

app_name = "nurture"
urlpatterns = [
    path("segments/", views.segment_list, name="segment_list"),
    path("segments/new/", views.segment_create, name="segment_create"),
    path("segments/count/", views.segment_count, name="segment_count"),
    path("segments/<int:pk>/", views.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", views.segment_edit, name="segment_edit"),
    path("emails/", views.email_list, name="email_list"),
    path("emails/new/", views.email_create, name="email_create"),
    path("emails/<int:pk>/", views.email_detail, name="email_detail"),
    path("emails/<int:pk>/edit/", views.email_edit, name="email_edit"),
    path("emails/<int:pk>/test/", views.email_test, name="email_test"),
    path("emails/<int:pk>/send/", views.email_send, name="email_send"),
    path("sends/<int:pk>/", views.send_detail, name="send_detail"),
    path("sends/<int:pk>/stop/", views.send_cancel, name="send_cancel"),
    path("tracking/", views.tracking, name="tracking"),
    # Public: mail clients and the company's website.
    path("o/<str:token>/", views_public.open_pixel, name="open"),
    path("c/<str:token>/", views_public.click, name="click"),
    path("u/<str:token>/", views_public.unsubscribe, name="unsubscribe"),
    path("collect/", views_public.collect, name="collect"),
]

from django.urls import path

from crm import views, views_export, views_import, views_privacy, views_proposals, views_search

app_name = "crm"
urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/export/", views_export.lead_export, name="lead_export"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path(
        "leads/<int:pk>/personal-data.json",
        views_privacy.personal_data,
        name="lead_personal_data",
    ),
    path("leads/<int:pk>/erase/", views_privacy.erase, name="lead_erase"),
    path(
        "leads/<int:pk>/proposed-changes/<int:change_pk>/",
        views_proposals.proposed_change_decide,
        name="proposed_change_decide",
    ),
    path("imports/", views_import.import_list, name="import_list"),
    path("imports/<int:pk>/", views_import.import_detail, name="import_detail"),
    path("imports/<int:pk>/preview/", views_import.import_preview, name="import_preview"),
    path("imports/<int:pk>/start/", views_import.import_start, name="import_start"),
    path("imports/<int:pk>/rejected.csv", views_import.import_rejections, name="import_rejections"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/merge/", views.merge, name="merge"),
    path("duplicates/merge-companies/", views.merge_companies, name="merge_companies"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("search/", views_search.global_search, name="search"),
]

from django.urls import path

from deals import views, views_board, views_lists, views_moves, views_saved

app_name = "deals"
urlpatterns = [
    path("", views.deal_list, name="list"),
    path("export/", views.deal_export, name="export"),
    path("board/", views_board.board, name="board"),
    path("views/", views_saved.saved_view_list, name="saved_view_list"),
    path("views/new/", views_saved.saved_view_create, name="saved_view_create"),
    path("views/default/", views_saved.saved_view_default, name="saved_view_default"),
    path("views/<int:pk>/", views_saved.saved_view_edit, name="saved_view_edit"),
    path("views/<int:pk>/delete/", views_saved.saved_view_delete, name="saved_view_delete"),
    path("<int:pk>/", views.deal_detail, name="detail"),
    path("<int:pk>/edit/", views.deal_edit, name="edit"),
    path("<int:pk>/move/", views_moves.move, name="move"),
    path("<int:pk>/win/", views_moves.win, name="win"),
    path("<int:pk>/lose/", views_moves.lose, name="lose"),
    path("<int:pk>/reopen/", views_moves.reopen, name="reopen"),
    path("new/lead/<int:pk>/", views.open_from_lead, name="open_from_lead"),
    path("new/company/<int:pk>/", views.open_from_company, name="open_from_company"),
    path("from-handoff/<int:pk>/", views.open_from_handoff, name="open_from_handoff"),
    path("stages/", views_lists.stage_list, name="stages"),
    path("stages/<int:pk>/", views_lists.stage_edit, name="stage_edit"),
    path("stages/<int:pk>/delete/", views_lists.stage_delete, name="stage_delete"),
    path("lost-reasons/", views_lists.reason_list, name="reasons"),
    path("lost-reasons/<int:pk>/", views_lists.reason_edit, name="reason_edit"),
    path("lost-reasons/<int:pk>/delete/", views_lists.reason_delete, name="reason_delete"),
]

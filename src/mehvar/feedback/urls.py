from django.urls import path

from mehvar.feedback import views, views_dashboard, views_public

app_name = "feedback"
urlpatterns = [
    # staff pages (views.py)
    path("feedback/surveys/", views.survey_list, name="survey_list"),
    path("feedback/surveys/new/", views.survey_edit, name="survey_new"),
    path("feedback/surveys/<int:pk>/", views.survey_detail, name="survey_detail"),
    path("feedback/surveys/<int:pk>/edit/", views.survey_edit, name="survey_edit"),
    path("feedback/surveys/<int:pk>/status/", views.survey_status, name="survey_status"),
    path("feedback/surveys/<int:pk>/copy/", views.survey_copy_view, name="survey_copy"),
    path("feedback/surveys/<int:pk>/invite/", views.survey_invite, name="survey_invite"),
    path("feedback/surveys/<int:pk>/qr.svg", views.survey_qr, name="survey_qr"),
    path("feedback/surveys/<int:pk>/rules/", views.survey_rules, name="survey_rules"),
    path("feedback/surveys/<int:pk>/responses/", views.response_list, name="response_list"),
    path("feedback/responses/<int:pk>/", views.response_detail, name="response_detail"),
    path("feedback/follow-ups/", views.follow_up_list, name="follow_up_list"),
    path("feedback/follow-ups/<int:pk>/", views.follow_up_detail, name="follow_up"),
    path("feedback/wall/", views.wall, name="wall"),
    path(
        "feedback/comments/<int:pk>/sentiment/", views.comment_correct_view, name="comment_correct"
    ),
    path("feedback/comments/import/", views.comment_import_view, name="comment_import"),
    path(
        "feedback/comments/import/columns/",
        views.comment_import_columns,
        name="comment_import_columns",
    ),
    path("feedback/sentiment/retrain/", views.sentiment_retrain_view, name="sentiment_retrain"),
    # the dashboard (views_dashboard.py)
    path("feedback/", views_dashboard.dashboard, name="dashboard"),
    # The public answer pages (views_public.py) have short paths: they are typed from SMS
    # messages and opened from QR codes. /s/ is a personal link, /q/ a survey's public one.
    path("s/<str:token>/", views_public.answer, name="answer"),
    path("s/<str:token>/save/", views_public.answer_save, name="answer_save"),
    path("q/<slug:slug>/", views_public.public_answer, name="public"),
    path("q/<slug:slug>/save/", views_public.public_answer_save, name="public_save"),
]

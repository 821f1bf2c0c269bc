from django.urls import path

from mehvar.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("companies/", views.company_options, name="company_options"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("views/", views.saved_view_save, name="saved_view_save"),
    path("views/<int:view_pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/contacts/", views.interaction_log, name="log_interaction"),
    path("<int:pk>/notes/", views.note_add, name="note_add"),
    path("<int:pk>/tasks/", views.task_add, name="task_add"),
    path("<int:pk>/tasks/<int:task_pk>/done/", views.task_complete, name="task_complete"),
    path("<int:pk>/consents/", views.consent_update, name="consent_update"),
    path("<int:pk>/merge/", views.customer_merge, name="merge"),
]

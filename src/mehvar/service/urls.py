from django.urls import path

from mehvar.service import views, views_dashboard, views_inbound, views_public

app_name = "service"
urlpatterns = [
    # staff pages (views.py)
    path("service/tickets/", views.ticket_list, name="ticket_list"),
    path("service/tickets/new/", views.ticket_new, name="ticket_new"),
    path("service/tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("service/tickets/<int:pk>/messages/", views.ticket_message, name="ticket_message"),
    path("service/tickets/<int:pk>/status/", views.ticket_status, name="ticket_status"),
    path("service/tickets/<int:pk>/update/", views.ticket_update_view, name="ticket_update"),
    path(
        "service/tickets/<int:pk>/compensation/",
        views.compensation_grant_view,
        name="compensation_grant",
    ),
    path("service/tickets/<int:pk>/returns/new/", views.return_new, name="return_new"),
    path(
        "service/follow-ups/<int:pk>/ticket/",
        views.ticket_from_follow_up_view,
        name="ticket_from_follow_up",
    ),
    path("service/compensation/", views.compensation_list, name="compensation_list"),
    path(
        "service/compensation/requests/<int:pk>/",
        views.compensation_decide_view,
        name="compensation_decide",
    ),
    path(
        "service/compensation/<int:pk>/reverse/",
        views.compensation_reverse_view,
        name="compensation_reverse",
    ),
    path("service/returns/", views.return_list, name="return_list"),
    path("service/returns/<int:pk>/", views.return_action, name="return_action"),
    path("service/canned/<int:pk>/", views.canned_render, name="canned_render"),
    # the dashboard (views_dashboard.py)
    path("service/", views_dashboard.dashboard, name="dashboard"),
    # the customer's own pages (views_public.py): no login
    path("support/", views_public.support_form, name="support"),
    path("support/t/<str:key>/", views_public.support_ticket, name="support_ticket"),
    # a mail provider posts inbound email here (views_inbound.py)
    path("service/inbound/email/", views_inbound.inbound_email, name="inbound_email"),
]

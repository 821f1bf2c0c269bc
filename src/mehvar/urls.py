from django.contrib import admin
from django.urls import include, path

from mehvar.api import api

urlpatterns = [
    path("", include("mehvar.core.urls")),
    path("customers/", include("mehvar.customers.urls")),
    path("data/", include("mehvar.customers.data_urls")),
    path("audit/", include("mehvar.customers.audit_urls")),
    path("analytics/", include("mehvar.insights.urls")),
    path("", include("mehvar.feedback.urls")),
    path("", include("mehvar.service.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

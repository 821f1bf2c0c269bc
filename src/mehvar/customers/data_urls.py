from django.urls import path

from mehvar.customers import data_views

app_name = "data"
urlpatterns = [
    path("imports/", data_views.imports, name="imports"),
    path("imports/<int:pk>/", data_views.import_job, name="import_job"),
    path("imports/<int:pk>/mapping/", data_views.import_mapping, name="import_mapping"),
    path("imports/<int:pk>/start/", data_views.import_start, name="import_start"),
    path("imports/<int:pk>/errors.csv", data_views.import_errors_csv, name="import_errors_csv"),
    path("export/customers/", data_views.export_customers, name="export_customers"),
    path("export/orders/", data_views.export_orders, name="export_orders"),
]

from django.urls import path

app_name = "data"
urlpatterns: list = []

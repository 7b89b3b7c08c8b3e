from django.contrib import admin
from django.urls import include, path

from commonground import views

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("taxonomy/", include("taxonomy.urls")),
    path("", include("sessions.urls")),
]

handler500 = "commonground.views.server_error"

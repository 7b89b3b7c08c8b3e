from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from commonground import login_throttle, views

# Both sign-in pages are throttled by username (commonground.login_throttle).
admin.site.login_form = login_throttle.ThrottledAdminAuthenticationForm
facilitator_login = auth_views.LoginView.as_view(
    authentication_form=login_throttle.ThrottledAuthenticationForm
)

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before admin.site.urls and django.contrib.auth.urls, which route the same paths.
    path("admin/login/", login_throttle.answers_429(admin.site.login)),
    path("admin/", admin.site.urls),
    path("accounts/login/", login_throttle.answers_429(facilitator_login), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("taxonomy/", include("taxonomy.urls")),
    path("", include("sessions.urls")),
]

handler500 = "commonground.views.server_error"

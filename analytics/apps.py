from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        from analytics import attendance_weeks, page_cache

        page_cache.connect()
        attendance_weeks.connect()

from django.apps import AppConfig


class StudentsConfig(AppConfig):
    name = "students"
    verbose_name = "Students"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from students.middleware import session_started

        user_logged_in.connect(session_started, dispatch_uid="students.session_started")

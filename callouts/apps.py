from django.apps import AppConfig


class CalloutsConfig(AppConfig):
    name = "callouts"
    verbose_name = "Call-outs"

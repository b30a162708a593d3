from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project itself, as an app only so that its deploy checks are registered."""

    name = "config"
    label = "config"

    def ready(self) -> None:
        from config import checks  # noqa: F401  (registers the deploy checks)

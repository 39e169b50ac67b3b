from django.apps import AppConfig


class ScenariosConfig(AppConfig):
    name = "scenarios"
    verbose_name = "Scenarios and runs"

    def ready(self) -> None:
        from scenarios import checks  # noqa: F401  (registers the system checks)

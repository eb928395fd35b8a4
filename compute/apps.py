from django.apps import AppConfig


class ComputeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compute"

    def ready(self) -> None:
        from artifacts.selectors import artifact_visibility_register
        from compute.selectors import artifact_of_own_job

        artifact_visibility_register(artifact_of_own_job)

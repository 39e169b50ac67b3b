"""The Graphite outbox: points wait here until carbon has them."""

from django.db import models


class GraphitePoint(models.Model):
    """One metric point to deliver. Deleted once sent; the database stays the record."""

    path = models.CharField(max_length=500)
    value = models.FloatField()
    timestamp = models.BigIntegerField(help_text="Unix seconds of the run")
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.path} {self.value} {self.timestamp}"

from django.db import models


class RateCounter(models.Model):
    """Hits of one rate-limit key in one fixed window (see huzhu.ratelimit). Kept in the
    database so a limit holds across web processes without a shared cache."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # One counter per key and window; the unique index also serves the lookup.
            models.UniqueConstraint(
                fields=["key", "window_start"], name="ratecounter_one_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.window_start:%Y-%m-%d %H:%M} {self.count}"

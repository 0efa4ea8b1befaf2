from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    DISTRICT = "district", _("district union")
    ORGANIZING = "organizing", _("organizing unit")
    GRASSROOTS = "grassroots", _("grassroots union")
    EMPLOYER = "employer", _("employer")


class FormsRoute(models.TextChoices):
    """Where an organizing unit hands its approved rosters' paper forms (SPEC E6; the 2021
    notice §4–5, the 2022 notice §3)."""

    AGENCY = "agency", _("the service agency (人保公司)")
    DISTRICT = "district", _("the district's 权益保障部")


# Which kind of unit may sit under which (SPEC T1).
CHILD_KINDS = {
    UnitKind.DISTRICT: {UnitKind.ORGANIZING},
    UnitKind.ORGANIZING: {UnitKind.GRASSROOTS},
    UnitKind.GRASSROOTS: {UnitKind.EMPLOYER},
    UnitKind.EMPLOYER: set(),
}


class Unit(models.Model):
    """A node of the union tree: district → organizing units → grassroots unions → employers.

    `path` is the materialised chain of ids ("/1/9/130/"), so "this unit's subtree" is one
    indexed prefix query (SPEC S1).
    """

    # Not "name": that msgid is a person's name (姓名) elsewhere.
    name = models.CharField(_("unit name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    # 序号 of 附件1, so reports list units in the notice's order.
    position = models.PositiveIntegerField(_("number"), default=0)
    # A deactivated unit keeps its history and targets but leaves reports, totals,
    # dashboards and choice lists; units are never deleted (members and audit rows point
    # at them).
    active = models.BooleanField(_("active"), default=True)
    # Members registered directly under this unit, kept by the member services in the
    # transaction that adds one, so "members in scope" is a sum over a few hundred units,
    # not a count over the whole member table (`huzhu member_counts` checks and repairs it).
    member_count = models.PositiveIntegerField(default=0, editable=False)
    # An organizing unit's route for paper forms; blank follows its name
    # (rules.forms_route_for_name), the district admin may set it on the unit's page.
    forms_route = models.CharField(
        _("paper forms go to"), max_length=10, choices=FormsRoute.choices, blank=True
    )

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unit_unique_name_in_parent"),
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(kind="district"), name="unit_one_district"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def unit_path(self) -> str:
        return self.path

    @property
    def paper_forms_route(self) -> str:
        from huzhu.org.rules import forms_route_for_name

        return self.forms_route or forms_route_for_name(self.name)

    def is_within(self, other: "Unit") -> bool:
        return self.path.startswith(other.path)

    def organizing_unit(self) -> "Unit | None":
        """The organizing unit above (or equal to) this unit; None for the district."""
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        if self.kind == UnitKind.ORGANIZING:
            return self
        if len(ids) < 2:
            return None
        return Unit.objects.get(pk=ids[1])


class Target(models.Model):
    """An organizing unit's target for one scheme year (SPEC T2) and, for years before the
    system held enrollments, the completed count as imported from 附件1 (SPEC T3)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="targets")
    year = models.PositiveSmallIntegerField(_("scheme year"))
    target = models.PositiveIntegerField(_("target"), null=True, blank=True)
    imported_completed = models.PositiveIntegerField(
        _("completed (imported)"), null=True, blank=True
    )

    class Meta:
        ordering = ["year", "unit__position"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="target_one_per_unit_year"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year}"


class UnionTarget(models.Model):
    """A grassroots union's share of its organizing unit's target for one scheme year, as
    the organizing unit's admin splits it ("根据区总工会目标任务，制定工作方案"). The shares
    need not add up to the organizing unit's target."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="union_targets")
    year = models.PositiveSmallIntegerField(_("scheme year"))
    target = models.PositiveIntegerField(_("target"))
    set_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["year", "unit__position"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="union_target_one_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year}"

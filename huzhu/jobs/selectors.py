"""Reads of jobs: a person's own, or, for the district's admin and auditor, every job in
their scope (SPEC S1)."""

from django.db.models import QuerySet
from django.http import Http404

from huzhu.accounts import roles
from huzhu.accounts.access import scoped
from huzhu.jobs.models import Job


def jobs_for(*, user) -> QuerySet[Job]:
    jobs = scoped(
        Job.objects.select_related("started_by", "result_file", "error_file", "input_file"),
        user,
        "unit_path",
    )
    if not roles.sees_every_job(user.role):
        jobs = jobs.filter(started_by=user)
    return jobs.order_by("-created_at", "-pk")


def job_for(*, user, pk: int) -> Job:
    job = jobs_for(user=user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job

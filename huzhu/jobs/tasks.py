"""The one task the queue runs: fetch the job and call its service."""

from django_tasks import task

from huzhu.jobs import services


@task()
def run_job_task(job_id: int) -> None:
    services.run_job(job_id=job_id)

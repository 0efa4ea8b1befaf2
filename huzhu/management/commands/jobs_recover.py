"""huzhu jobs_recover [--worker-starting]: mark as interrupted the jobs a killed worker left
"running".

A worker stopped with Ctrl-C or SIGTERM ends its job itself; one killed outright (SIGKILL,
the power lost) cannot. Without --worker-starting only jobs silent for longer than a live
worker ever is (STALE_AFTER) are marked; `make run` and the systemd unit's ExecStartPre run
it with --worker-starting just before the host's one worker starts, when none of the jobs
that host's worker claimed can be running (other hosts' jobs are left to the heartbeat).
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from huzhu.jobs.services import fail_stalled_jobs


class Command(BaseCommand):
    help = "Mark jobs left running by a worker that was killed as interrupted."

    def add_arguments(self, parser):
        parser.add_argument(
            "--worker-starting",
            action="store_true",
            help="this host's only worker is about to start: its running jobs lost their worker",
        )

    def handle(self, *args, worker_starting=False, **options):
        count = fail_stalled_jobs(worker_starting=worker_starting)
        self.stdout.write(_("%(count)s interrupted jobs marked.") % {"count": count})

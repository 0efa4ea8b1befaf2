"""huzhu demo: a ready database with the 附件1 units and targets and sample members."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from huzhu.demo import demo_logins, load_demo
from huzhu.org.models import Unit


class Command(BaseCommand):
    help = "Load the demo data into an empty database and print the demo logins."

    def handle(self, *args, **options):
        if Unit.objects.exists():
            self.stdout.write(_("The database already holds data; demo data not loaded."))
        else:
            load_demo()
            self.stdout.write(_("Demo data loaded."))
        self.stdout.write(_("Demo logins:"))
        for line in demo_logins():
            self.stdout.write(line)

"""The member list as a workbook, written in the background (a job of kind
`members.export`): the members in the starter's scope, numbers masked as the lists show
them (SPEC S2), kept in the file store for the job page to offer."""

from django.utils import timezone
from django.utils.translation import gettext as _

from huzhu.files import rules as file_kinds
from huzhu.files.services import store_generated
from huzhu.jobs.kinds import JobResult
from huzhu.jobs.models import Job
from huzhu.jobs.progress import Progress
from huzhu.members.models import Member
from huzhu.xlsx import XlsxBook

# Rows fetched per query while streaming: memory stays flat at 100,000 members.
FETCH = 2000


def export_members(*, job: Job, progress: Progress) -> JobResult:
    # Only the shown columns: no ciphertexts or hashes leave the database for this.
    members = (
        Member.objects.filter(unit_path__startswith=job.unit_path)
        .order_by("unit_path", "name", "pk")
        .values_list("name", "id_number_masked", "phone_masked", "unit__name", "employer_name")
    )
    progress.start(members.count())
    book = XlsxBook()
    headings = [_("Name"), _("ID number"), _("Mobile phone"), _("Grassroots union"), _("Employer")]
    sheet = book.sheet(_("Members"), len(headings))
    sheet.widths([12, 22, 15, 30, 30]).header(headings)
    count = 0
    for row in members.iterator(chunk_size=FETCH):
        sheet.row(row)
        count += 1
        progress.advance()
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    stored = store_generated(
        actor=job.started_by,
        content=book.close(),
        name=_("members-%(stamp)s.xlsx") % {"stamp": stamp},
        unit_path=job.unit_path,
        kind=file_kinds.XLSX,
    )
    return JobResult(
        outcome=_("%(count)s members exported.") % {"count": count},
        result_file=stored.file,
        counts={"members": count},
    )

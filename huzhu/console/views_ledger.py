"""The fund ledger in the console (SPEC D9, §12 Finance): entries, daily totals and the
reconciliation; finance and the district correct an entry by a new one, auditors read."""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from huzhu.accounts import roles
from huzhu.console.access import require, staff_view
from huzhu.console.forms import LedgerCorrectionForm
from huzhu.ledger import reconcile
from huzhu.ledger.models import EntryKind, LedgerEntry
from huzhu.ledger.services import LedgerError, correct
from huzhu.years import scheme_year


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value and len(value) == 10 else None
    except ValueError:
        return None


def _filters(request) -> tuple[dict, dict]:
    """The list's filters as given (unknown values are ignored, never a 500)."""
    raw = {k: request.GET.get(k, "")[:20] for k in ("year", "kind", "start", "end")}
    chosen: dict = {}
    if scheme_year(raw["year"]) is not None:
        chosen["year"] = scheme_year(raw["year"])
    if raw["kind"] in EntryKind.values:
        chosen["kind"] = raw["kind"]
    if _date(raw["start"]):
        chosen["booked_on__gte"] = _date(raw["start"])
    if _date(raw["end"]):
        chosen["booked_on__lte"] = _date(raw["end"])
    return raw, chosen


@require_GET
@staff_view
@require(roles.can_read_finance)
def ledger(request):
    raw, chosen = _filters(request)
    entries = LedgerEntry.objects.filter(**chosen).order_by("-booked_on", "-id")
    totals = dict(
        entries.order_by()
        .values_list("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    )
    page = Paginator(entries.select_related("corrects"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "console/ledger/entries.html",
        {
            "page": page,
            "query": urlencode({k: v for k, v in raw.items() if v}),
            "filters": raw,
            "kinds": EntryKind.choices,
            "totals": [(label, totals.get(value)) for value, label in EntryKind.choices],
            "balance": reconcile.balance(),
            "can_correct": roles.can_do_finance(request.user.role),
        },
    )


@require_GET
@staff_view
@require(roles.can_read_finance)
def ledger_days(request):
    raw, chosen = _filters(request)
    days = reconcile.day_checks(
        start=chosen.get("booked_on__gte"), end=chosen.get("booked_on__lte")
    )
    days.reverse()
    page = Paginator(days, 31).get_page(request.GET.get("page"))
    return render(
        request,
        "console/ledger/days.html",
        {
            "page": page,
            "query": urlencode({k: v for k, v in raw.items() if v and k in ("start", "end")}),
            "filters": raw,
            "kinds": EntryKind.choices,
            "unbalanced": sum(1 for day in days if not day.balanced),
        },
    )


# The newest settled payout batches shown on the reconciliation page (all are checked).
PAYOUT_CHECKS_SHOWN = 50


@require_GET
@staff_view
@require(roles.can_read_finance)
def ledger_reconcile(request):
    year = scheme_year(request.GET.get("year", "")[:10])
    checks = reconcile.batch_checks(year=year)
    page = Paginator(checks, 50).get_page(request.GET.get("page"))
    read_files = request.GET.get("files") == "1"
    if read_files:
        # The bank's own files, read again from the store: this page's batches only.
        for check in page:
            check.read_bank_file()
    days = reconcile.day_checks()
    payout_checks = reconcile.payout_batch_checks()
    return render(
        request,
        "console/ledger/reconcile.html",
        {
            "page": page,
            "query": urlencode(
                {**({"year": year} if year else {}), **({"files": 1} if read_files else {})}
            ),
            "year": year,
            "read_files": read_files,
            "unbalanced_batches": sum(1 for check in checks if not check.balanced)
            + sum(1 for check in payout_checks if not check.balanced),
            "payout_checks": payout_checks[:PAYOUT_CHECKS_SHOWN],
            "unbalanced_days": [day for day in days if not day.balanced],
            "balance": reconcile.balance(),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_view
@require(roles.can_do_finance)
def ledger_correct(request, entry_pk: int):
    entry = LedgerEntry.objects.filter(pk=entry_pk, corrects__isnull=True).first()
    if entry is None:
        raise Http404
    form = LedgerCorrectionForm(request.POST or None, initial={"seen": entry.corrections.count()})
    if request.method == "POST" and form.is_valid():
        try:
            correct(
                entry_id=entry.pk,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                seen=form.cleaned_data["seen"],
            )
        except LedgerError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The correcting entry was recorded."))
            return redirect("console:ledger")
    return render(
        request,
        "console/ledger/correct.html",
        {"entry": entry, "form": form, "corrections": entry.corrections.all()},
    )

"""Demo data: the 附件1 units and targets, grassroots unions, one user per role and a few
hundred members with valid generated ID numbers. Deterministic, so screenshots and
walk-throughs look the same on every machine."""

import base64
import datetime
import random
from dataclasses import dataclass
from importlib import resources

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from huzhu.accounts.models import User
from huzhu.accounts.roles import Role, needs_second_factor
from huzhu.bank.simulated_bank import REASONS, answer_deduction_file
from huzhu.dates import SCHEME_ZONE
from huzhu.demo_claims import load_demo_claims
from huzhu.enrollment import services as enrollment
from huzhu.enrollment.models import (
    Authorization,
    Channel,
    Enrollment,
    EnrollmentChange,
    Source,
    State,
)
from huzhu.enrollment.rules import EnrollmentError
from huzhu.files import rules as file_kinds
from huzhu.files.services import store_generated
from huzhu.members import crypto
from huzhu.members.models import Member
from huzhu.members.rules import id_check_char
from huzhu.members.services import MemberInput, create_member
from huzhu.org.models import Unit, UnitKind
from huzhu.org.rules import parse_target_table
from huzhu.org.services import create_unit, district, import_targets, set_union_targets
from huzhu.payments import services as payments
from huzhu.payments.lapse import lapse_unpaid
from huzhu.policy.selectors import current_policies
from huzhu.rosters.models import ImportStatus, Review, RosterKind, RosterUpload
from huzhu.rosters.models import Source as RosterSource
from huzhu.rosters.services import approve_roster, record_collection, return_roster
from huzhu.tabular import read_rows

DEMO_PASSWORD = "huzhu-demo-2022"
MEMBER_COUNT = 300
WUJIN_REGION = "320412"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾蒋蔡"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅玲兰志鹏飞晨宇浩然欣怡"
COMPANIES = [
    "机械有限公司",
    "纺织有限公司",
    "电子科技有限公司",
    "建设工程有限公司",
    "新材料有限公司",
    "精密制造有限公司",
    "医药有限公司",
    "物流有限公司",
]
PLACE_WORDS = "常武湖滆淹嘉礼雪鸣阳凤翔恒泰瑞丰华星宏远"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    unit_name: str
    display_name: str


DEMO_USERS = [
    DemoUser("district", Role.DISTRICT_ADMIN, "武进区总工会", "区总工会权益保障部"),
    DemoUser("hutang", Role.ORG_ADMIN, "湖塘镇", "湖塘镇总工会"),
    DemoUser("hutang_clerk", Role.GRASSROOTS_CLERK, "", "湖塘镇基层工会干事"),
    DemoUser("niutang", Role.ORG_ADMIN, "牛塘镇", "牛塘镇总工会"),
    DemoUser("agency", Role.AGENCY, "武进区总工会", "人保公司经办"),
    DemoUser("finance", Role.FINANCE, "武进区总工会", "互助保障中心财务"),
    DemoUser("auditor", Role.AUDITOR, "武进区总工会", "审计"),
]


def generated_id_number(rng: random.Random) -> str:
    birth = f"{rng.randint(1966, 2003)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = f"{WUJIN_REGION}{birth}{rng.randint(0, 999):03d}"
    return first17 + id_check_char(first17)


def load_demo() -> dict:
    """Load everything into an empty database; returns what to print."""
    rng = random.Random(2022)  # noqa: S311 - demo data, not secrets
    with transaction.atomic():
        root = district()
        content = resources.files("huzhu").joinpath("data/targets-2022.csv").read_bytes()
        import_targets(
            actor=None,
            parsed=parse_target_table(read_rows(content, "targets.csv")),
            source="targets-2022.csv",
        )
        grassroots = []
        for unit in Unit.objects.filter(kind=UnitKind.ORGANIZING).order_by("position"):
            for number in range(3):
                name = (
                    f"{unit.name}{rng.choice(PLACE_WORDS)}{rng.choice(PLACE_WORDS)}"
                    f"{COMPANIES[(unit.position + number) % len(COMPANIES)]}工会"
                )
                grassroots.append(
                    create_unit(
                        actor=None,
                        name=name,
                        kind=UnitKind.GRASSROOTS,
                        parent=unit,
                        position=number + 1,
                    )
                )
        hutang = Unit.objects.get(name="湖塘镇")
        hutang_first = Unit.objects.filter(parent=hutang).order_by("position")[0]
        keys = {}
        for demo in DEMO_USERS:
            unit = (
                hutang_first
                if demo.role == Role.GRASSROOTS_CLERK
                else (
                    root if demo.unit_name == root.name else Unit.objects.get(name=demo.unit_name)
                )
            )
            user = User.objects.create_user(
                username=demo.username,
                password=DEMO_PASSWORD,
                role=demo.role,
                unit=unit,
                display_name=demo.display_name,
            )
            if needs_second_factor(demo.role):
                device = TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
                keys[demo.username] = base64.b32encode(device.bin_key).decode()
        # Most members sit in 湖塘镇 and 牛塘镇, so the access personas have people to see.
        weighted = [g for g in grassroots if g.parent_id in (hutang.pk,)] * 8 + grassroots
        members = []
        for index in range(MEMBER_COUNT):
            unit = hutang_first if index == 0 else rng.choice(weighted)
            name = rng.choice(SURNAMES) + "".join(
                rng.choice(GIVEN) for _ in range(rng.randint(1, 2))
            )
            member = create_member(
                actor=None,
                unit=unit,
                data=MemberInput(
                    name=name,
                    id_number=generated_id_number(rng),
                    phone=f"139{index:08d}",
                    union_card=f"623166{index:013d}",
                    employer_name=unit.name.removesuffix("工会"),
                    insurance_scope="other_province" if index % 17 == 5 else "jiangsu",
                ),
            )
            members.append(member)
        load_demo_enrollments(members, rng)
        spread_demo_payments(rng)
        load_demo_splits()
        load_demo_rosters()
        load_demo_claims()
    return {"keys": keys}


# Organizing units whose admin split the 2022 target among their grassroots unions: 湖塘镇
# to the unit, 牛塘镇 short of it (the page warns), 经开区 evenly.
DEMO_SPLITS = {"湖塘镇": (2500, 2000, 1500), "牛塘镇": (1200, 1000, 500), "经开区": (8000,) * 3}


def load_demo_splits() -> None:
    admins = {u.unit_id: u for u in User.objects.filter(role=Role.ORG_ADMIN)}
    actor = User.objects.get(username="district")
    for name, shares in DEMO_SPLITS.items():
        unit = Unit.objects.get(name=name, kind=UnitKind.ORGANIZING)
        unions = Unit.objects.filter(parent=unit, kind=UnitKind.GRASSROOTS).order_by("position")
        set_union_targets(
            actor=admins.get(unit.pk, actor),
            organizing=unit,
            year=2022,
            entries={u.pk: str(share) for u, share in zip(unions, shares, strict=False)},
        )


def spread_demo_payments(rng: random.Random) -> None:
    """The bank's batches came back over the weeks after each signing, so the weekly
    trend has a shape: each change to paid is dated a few days to a few weeks after the
    enrollment's last signing, at ten in the morning in Shanghai."""
    signed = {
        e: day
        for e, day in Authorization.objects.order_by("signed_on").values_list(
            "enrollment_id", "signed_on"
        )
    }
    by_moment: dict[datetime.datetime, list[int]] = {}
    for change_id, enrollment_id in EnrollmentChange.objects.filter(
        to_state=State.PAID
    ).values_list("id", "enrollment_id"):
        day = signed[enrollment_id] + datetime.timedelta(days=rng.randint(3, 45))
        moment = datetime.datetime.combine(day, datetime.time(10), tzinfo=SCHEME_ZONE)
        by_moment.setdefault(min(moment, timezone.now()), []).append(change_id)
    for moment, ids in by_moment.items():
        EnrollmentChange.objects.filter(pk__in=ids).update(changed_at=moment)


def _day(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, (end - start).days))


SOURCE_OF = {
    Channel.ONLINE: Source.BANK_NOTICE,
    Channel.PAPER: Source.ROSTER,
    Channel.RENEWAL: Source.PORTAL,
}


def load_demo_enrollments(members: list[Member], rng: random.Random) -> None:
    """2021: nine in ten members signed (online or on paper) and nine in ten of those paid,
    the rest lapsed. 2022: most paid members of 2021 renewed, others signed online or on
    paper; the year is mid-way, so paid, awaiting deduction, failed and revoked all occur.
    Written through the enrollment services so every row has its history and audit trail;
    payments go through real collective deductions answered by the simulated bank, so the
    finance pages, the fund ledger and the feedback lists have batches to show. Member 0
    (the portal's demo phone) is paid in 2021 and awaiting deduction in 2022."""
    policies = current_policies()

    def day_in(year: int, channel: str) -> datetime.date:
        window = policies[year].windows[channel]
        return _day(rng, window.start, window.end)

    paid_2021: set[int] = set()
    failing: dict[str, str] = {}
    for index, member in enumerate(members):
        if index != 0 and rng.random() >= 0.9:
            continue  # joins in 2022, or never
        channel = Channel.ONLINE if rng.random() < 0.6 else Channel.PAPER
        signed = enrollment.sign(
            member=member,
            year=2021,
            channel=channel,
            signed_on=day_in(2021, channel),
            source=SOURCE_OF[channel],
            actor=None,
        )
        if index == 0 or rng.random() < 0.9:
            paid_2021.add(member.pk)
        else:
            failing[card_of(member)] = rng.choice(list(REASONS))
    # The bank answers one collective deduction; the year's failures lapse after its
    # payment deadline (the operator's scheduled `huzhu enrollment lapse --due`).
    _deduct(2021, failing, seed=2021)
    lapse_unpaid(year=2021, actor=None)
    failing.clear()
    waiting: list[tuple[Member, Channel, datetime.date]] = []
    crossing: Enrollment | None = None
    for index, member in enumerate(members):
        if index != 0 and rng.random() >= 0.85:
            continue  # not (yet) signed for 2022
        if member.pk in paid_2021 and rng.random() < 0.7:
            channel = Channel.RENEWAL
        else:
            channel = Channel.ONLINE if rng.random() < 0.6 else Channel.PAPER
        day = day_in(2022, channel)
        roll = 1.0 if index == 0 else rng.random()
        if roll >= 0.8:
            waiting.append((member, channel, day))  # signed after the batch was built
            continue
        signed = _sign_2022(member, channel, day)
        if roll < 0.6:
            crossing = crossing or signed.enrollment
        elif roll < 0.72:
            failing[card_of(member)] = rng.choice(list(REASONS))
        else:
            enrollment.revoke(
                member=member,
                year=2022,
                actor=None,
                source=SOURCE_OF[channel],
                on=day + datetime.timedelta(days=rng.randint(1, 20)),
            )
    # One member also paid online while the batch was at the bank: a refund to make (D7).
    _deduct(2022, failing, seed=2022, paid_meanwhile=crossing)
    for member, channel, day in waiting:
        _sign_2022(member, channel, day)


def card_of(member: Member) -> str:
    return crypto.decrypt(member.union_card_encrypted)


def _sign_2022(member: Member, channel: Channel, day: datetime.date):
    if channel == Channel.RENEWAL:
        return enrollment.renew(
            member=member, year=2022, signed_on=day, source=SOURCE_OF[channel], actor=None
        )
    return enrollment.sign(
        member=member,
        year=2022,
        channel=channel,
        signed_on=day,
        source=SOURCE_OF[channel],
        actor=None,
    )


def _deduct(
    year: int, failures: dict[str, str], *, seed: int, paid_meanwhile: Enrollment | None = None
) -> None:
    """A collective deduction through the simulated bank, as finance runs it (SPEC D3–D5)."""
    batch = payments.create_batch(year=year, actor=None)
    if batch is None:
        return
    if paid_meanwhile is not None:
        payments.record_self_payment(
            enrollment=paid_meanwhile,
            transaction_id=f"DEMO{year}{paid_meanwhile.pk:08d}",
            amount=current_policies()[year].fee,
            paid_at=timezone.now(),
        )
    answer = answer_deduction_file(payments.request_content(batch), failures=failures, seed=seed)
    payments.apply_result(content=answer, actor=None)


def _demo_paper_signings(union: Unit, *, uploader: User) -> list[Authorization]:
    """A few members of `union` not yet signed for 2022 sign on paper (a roster's rows):
    the rosters awaiting approval and returned need unpaid enrollments of their own."""
    window = current_policies()[2022].windows[Channel.PAPER]
    signed = []
    for member in Member.objects.filter(unit=union).exclude(enrollments__year=2022)[:4]:
        try:
            signed.append(
                enrollment.sign(
                    member=member,
                    year=2022,
                    channel=Channel.PAPER,
                    signed_on=window.start + datetime.timedelta(days=7),
                    source=Source.ROSTER,
                    actor=uploader,
                ).authorization
            )
        except EnrollmentError:
            continue  # not eligible for a paper signing (the policy, M6): not on the roster
    return signed


# 湖塘镇's three grassroots unions' 2022 rosters: the first approved with its paper forms
# collected by the service agency, the second awaiting approval, the third returned.
DEMO_ROSTER_REVIEWS = (Review.APPROVED, Review.AWAITING, Review.RETURNED)


def load_demo_rosters() -> None:
    """Roster uploads (SPEC E6) for the 2022 paper authorizations of 湖塘镇's unions, each
    in a different state of review, written through the review services so each has its
    history. A roster waiting or returned holds only unpaid enrollments."""
    hutang = Unit.objects.get(name="湖塘镇")
    unions = list(Unit.objects.filter(parent=hutang).order_by("position"))
    clerk = User.objects.get(username="hutang_clerk")
    admin = User.objects.get(username="hutang")
    agency = User.objects.get(username="agency")
    for union, review in zip(unions, DEMO_ROSTER_REVIEWS, strict=False):
        authorizations = [
            found
            for found in Authorization.objects.filter(
                active=True,
                channel=Channel.PAPER,
                enrollment__year=2022,
                enrollment__grassroots_union=union,
            )
            .select_related("enrollment__member")
            .order_by("id")
            if review == Review.APPROVED or found.enrollment.state == State.AUTHORIZED
        ]
        if review != Review.APPROVED:
            authorizations += _demo_paper_signings(union, uploader=admin)
        if not authorizations:
            continue
        signed_on = max(found.signed_on for found in authorizations)
        uploaded_at = datetime.datetime.combine(
            signed_on + datetime.timedelta(days=1), datetime.time(10, 30), tzinfo=SCHEME_ZONE
        )
        uploader = clerk if union.pk == clerk.unit_id else admin
        lines = ["序号,乡镇,姓名,身份证号码,手机号码,工作单位,工会卡卡号,是否参加常州基本医保,备注"]
        for index, found in enumerate(authorizations, start=1):
            member = found.enrollment.member
            lines.append(
                f"{index},湖塘镇,{member.name},{member.id_number_masked},{member.phone_masked},"
                f"{member.employer_name},{member.union_card_masked},是,"
            )
        name = f"{union.name.removesuffix('工会')}{uploaded_at:%m%d}.csv"
        stored = store_generated(
            actor=uploader,
            content=("\n".join(lines) + "\n").encode("utf-8"),
            name=name,
            unit_path=union.path,
            kind=file_kinds.CSV,
        ).file
        roster = RosterUpload.objects.create(
            year=2022,
            kind=RosterKind.NEW,
            unit=union,
            unit_path=union.path,
            file=stored,
            signed_on=signed_on,
            source=RosterSource.CONSOLE,
            uploaded_by=uploader,
            uploaded_at=uploaded_at,
            status=ImportStatus.IMPORTED,
            imported=len(authorizations),
            review=Review.AWAITING,
        )
        Authorization.objects.filter(pk__in=[found.pk for found in authorizations]).update(
            roster=roster
        )
        if review == Review.APPROVED:
            approve_roster(actor=admin, roster=roster)
            record_collection(
                actor=agency,
                roster=roster,
                collected_on=signed_on + datetime.timedelta(days=3),
                count=len(authorizations),
            )
        elif review == Review.RETURNED:
            return_roster(
                actor=admin, roster=roster, reason="第2行职工未在授权书上签名，请补签后重新上传"
            )


def demo_logins() -> list[str]:
    lines = [f"  密码 password: {DEMO_PASSWORD}"]
    for demo in DEMO_USERS:
        user = User.objects.filter(username=demo.username).first()
        if user is None:
            continue
        extra = ""
        if needs_second_factor(user.role):
            extra = f"  (二次验证 second factor: huzhu totp {user.username})"
        lines.append(f"  {user.username:<13} {user.get_role_display()} · {user.unit}{extra}")
    lines.append("  会员 member: 手机号 13900000000，验证码见服务日志 (code in the server log)")
    return lines

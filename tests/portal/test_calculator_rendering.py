"""The calculator's widgets written in Python (huzhu/calcfront/renderer.py) are the bytes
Django's widget templates write: whole pages compared with the Python writers switched off,
and widgets one by one, with values, errors and hostile text. And what the portal pages
cost in queries, whatever is posted."""

import datetime
import re
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from huzhu.calcfront import forms as calc_forms
from huzhu.calcfront.pages import calculator_context
from huzhu.calcfront.renderer import WidgetRenderer, field_html, stay_field_html
from huzhu.portal.views import SESSION_KEY
from tests.portal.test_calculator_page import stay_data

SCRIPT = "<script>alert(1)</script>"
STAY = {"admitted_on": "2022-03-01", "settled_self_pay": "12000"}

POSTS = {
    "one stay": stay_data(STAY),
    "three stays": stay_data(
        STAY,
        {"admitted_on": "2022-05-01", "cause": "traffic_accident", "traffic_total_cost": "900"},
        {"admitted_on": "2022-07-01", "unsettled_cost": "10000", "settlement_pending": "on"},
        **{"stay-INITIAL_FORMS": "1"},
        already_paid="500",
    ),
    "errors in every kind of field": stay_data(
        {"admitted_on": "2022-13-01", "settled_self_pay": "-5", "cause": "flood"},
        {"admitted_on": "", "insurance_scope": "mars", "liability_percent": "101"},
        year="1999",
        benefit="dental",
        already_paid="sNaN",
    ),
    "hostile text in every field": stay_data(
        {
            "admitted_on": SCRIPT,
            "settled_self_pay": SCRIPT,
            "cause": SCRIPT,
            "insurance_scope": '"><b>',
            "liability_percent": "' onfocus='x",
        },
        already_paid=SCRIPT,
        illness=SCRIPT,
        year=SCRIPT,
    ),
    "critical illness with errors": stay_data(
        benefit="critical_illness",
        illness="恶性肿瘤",
        diagnosed_on="2022-02-30",
        hospital_in_changzhou="no",
        hospital_grade="2",
    ),
    "work injury": stay_data(
        benefit="work_injury", injured_on="2022-05-01", grade="death", certificate_level="city"
    ),
    "damaged page": stay_data(STAY, **{"stay-TOTAL_FORMS": "abc"}),
}

TOKENS = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def without_tokens(html: str) -> str:
    """Every response carries its own masked CSRF token: the rest must be equal."""
    return TOKENS.sub(r"\1…", html)


@pytest.fixture
def templates_only(monkeypatch):
    """Switch the Python writers off: every widget goes through Django's templates."""

    def switch_off():
        monkeypatch.setattr(calc_forms.RENDERER, "_writers", {})

    return switch_off


def page(client, method, data=None, path="portal:calculator") -> str:
    response = getattr(client, method)(reverse(path), data)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("name", POSTS)
def test_posted_pages_are_the_same_through_python_and_through_templates(
    client, templates_only, monkeypatch, name
):
    loaded: list[str] = []
    get_template = DjangoTemplates.get_template

    def recording(renderer, template_name):
        loaded.append(template_name)
        return get_template(renderer, template_name)

    monkeypatch.setattr(DjangoTemplates, "get_template", recording)
    fast = page(client, "post", POSTS[name])
    assert not [t for t in loaded if t.startswith("django/forms/widgets/")]
    templates_only()
    slow = page(client, "post", POSTS[name])
    assert "django/forms/widgets/select.html" in loaded  # the comparison is with templates
    assert without_tokens(fast) == without_tokens(slow)


@pytest.mark.django_db
def test_the_staff_calculator_is_the_same_through_python_and_through_templates(
    client, people, templates_only
):
    from tests.conftest import sign_in

    sign_in(client, people.hutang_admin)
    fast = page(client, "post", POSTS["errors in every kind of field"], "console:calculator")
    templates_only()
    slow = page(client, "post", POSTS["errors in every kind of field"], "console:calculator")
    assert without_tokens(fast) == without_tokens(slow)


@pytest.mark.django_db
def test_hostile_text_typed_into_the_form_comes_back_escaped(client):
    html = page(client, "post", POSTS["hostile text in every field"])
    assert "<script>alert" not in html and "<b>" not in html
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in html  # the amount sent back
    assert "' onfocus='x" not in html and "&#x27; onfocus=&#x27;x" in html


@pytest.mark.django_db
def test_a_posted_page_keeps_what_was_typed_and_chosen(client):
    html = page(client, "post", POSTS["three stays"])
    assert 'name="stay-1-traffic_total_cost" value="900"' in html
    assert '<option value="traffic_accident" selected>' in html
    assert 'name="stay-2-settlement_pending" id="id_stay-2-settlement_pending" checked>' in html
    assert 'name="already_paid" value="500"' in html
    injury = page(client, "post", POSTS["work injury"])
    assert 'value="work_injury" id="id_benefit_2" required checked>' in injury
    assert '<option value="death" selected>' in injury


@pytest.mark.django_db
@pytest.mark.parametrize("name", [None, *POSTS])
def test_each_calculator_field_is_written_as_its_template_writes_it(name):
    """The filters of the calculator's templates (calculator_fields) against the templates
    they replace: console/_field.html and policy/_stay_field.html."""
    factory = RequestFactory()
    request = factory.get("/m/calc/") if name is None else factory.post("/m/calc/", POSTS[name])
    context = calculator_context(request)
    if name is None:  # the page as first opened: a blank form and stay
        form = calc_forms.CalculatorForm(years=[2022, 2021], illnesses=["恶性肿瘤", "<b>"])
        stays = [calc_forms.StayFormSet(prefix="stay").empty_form]
    else:
        form, stays = context["form"], context["stays"].forms
    checked = 0
    for field in form:
        assert field_html(field) == render_to_string("console/_field.html", {"field": field})
        checked += 1
    for stay in stays:
        for field in stay:
            template = render_to_string("policy/_stay_field.html", {"field": field})
            assert stay_field_html(field) == template
            checked += 1
    assert checked >= len(form.fields) + len(calc_forms.StayForm.base_fields)


class Choices(forms.Form):
    """Every widget kind the Python writers know, plus groups and safe text."""

    plain = forms.CharField(max_length=5, help_text="help")
    number = forms.DecimalField(widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    hidden = forms.IntegerField(widget=forms.HiddenInput)
    flag = forms.BooleanField(required=False)
    pick = forms.ChoiceField(
        choices=[
            ("", "— choose —"),
            ("a", gettext_lazy("Yes")),
            ("Group <1>", [("b", "<b>"), ("c", mark_safe("<i>c</i>"))]),
            (3, 3),
        ]
    )
    radio = forms.ChoiceField(
        choices=[("x", "X & Y"), ("y", gettext_lazy("No"))], widget=forms.RadioSelect
    )
    safe_attr = forms.CharField(
        widget=forms.TextInput(attrs={"data-x": mark_safe("&amp;"), "data-y": 'a"b'})
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {
            "plain": "too long <script>",
            "number": "1e5",
            "day": datetime.date(2022, 3, 1).isoformat(),
            "hidden": "7",
            "flag": "on",
            "pick": "c",
            "radio": "y",
            "safe_attr": SCRIPT,
        },
        {"pick": "3", "radio": "<x>", "number": str(Decimal("12.50")), "day": "not a day"},
    ],
    ids=["unbound", "empty", "values and errors", "odd values"],
)
def test_each_widget_is_written_as_djangos_template_writes_it(data, settings):
    python, templates = WidgetRenderer(), DjangoTemplates()
    initial = {"number": Decimal("3.10"), "day": datetime.date(2022, 1, 2), "flag": True}
    for name in Choices.base_fields:
        written = []
        for renderer in (python, templates):
            form = Choices(data, initial=initial, renderer=renderer)
            field = form[name]
            html = [str(field)]
            if isinstance(field.field.widget, forms.RadioSelect):
                html += [radio.tag() for radio in field] + [str(radio) for radio in field]
            written.append(html)
        assert written[0] == written[1], name


@pytest.fixture
def member_client(client, people):
    session = client.session
    session[SESSION_KEY] = [people.member.pk]
    session.save()
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["one stay", "three stays", "errors in every kind of field"])
def test_a_posted_calculator_page_reads_only_the_policy_versions(
    client, django_assert_num_queries, name
):
    page(client, "get")  # the policies parsed once per process, outside the count
    with django_assert_num_queries(1):
        page(client, "post", POSTS[name])


@pytest.mark.django_db
def test_a_members_pages_read_the_session_the_members_and_the_policy_versions(
    member_client, django_assert_num_queries
):
    page(member_client, "get")
    for method, data, path in [
        ("get", None, "portal:home"),
        ("get", None, "portal:calculator"),
        ("post", POSTS["three stays"], "portal:calculator"),
    ]:
        with django_assert_num_queries(3):
            page(member_client, method, data, path)

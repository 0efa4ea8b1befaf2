"""The member list's rows are built in one call (huzhu/console/templatetags/member_rows.py):
the same HTML, escaped the same way, as the template loop they replace."""

from types import SimpleNamespace

from django.template import Context, Template

from huzhu.console.templatetags.member_rows import member_rows

LOOP = Template(
    "{% for m in members %}"
    '<tr><td><a href="{{ list_url }}{{ m.pk }}/">{{ m.name }}</a></td>'
    "<td>{{ m.id_number_masked }}</td><td>{{ m.phone_masked }}</td><td>{{ m.unit.name }}</td>"
    '<td class="hide-narrow">{{ m.employer_name }}</td></tr>'
    "{% if not forloop.last %}\n{% endif %}{% endfor %}"
)


def _member(pk, name, employer):
    return SimpleNamespace(
        pk=pk,
        name=name,
        id_number_masked="3204**********1234",
        phone_masked="139****0000",
        unit=SimpleNamespace(name="湖塘镇<工会>&"),
        employer_name=employer,
    )


def test_rows_are_what_the_template_loop_rendered():
    members = [_member(7, "张三", "常常纺织"), _member(12345, '<script>"王"</script>', "A&B 'x'")]
    expected = LOOP.render(Context({"members": members, "list_url": "/console/members/"}))
    got = member_rows(members, "/console/members/", "无")
    assert got == expected
    assert "<script>" not in got and "&lt;script&gt;" in got


def test_no_rows_say_so():
    assert member_rows([], "/console/members/", "未找到<职工>") == (
        '<tr><td colspan="5" class="muted">未找到&lt;职工&gt;</td></tr>'
    )

"""A form renderer that writes Django's plain widgets in Python instead of through templates.

Rendering a bound calculator form through Django's widget templates costs some 50 µs per
input and per <option> (an include, an attribute loop and a filter each), 57 options on a
page with one stay: most of a POST of /m/calc/. `WidgetRenderer` writes the same bytes as
Django's templates for the widgets the calculator uses (inputs, selects and their options,
radio and checkbox options) and leaves every other template to Django. Each writer below
follows one template of django/forms/templates/django/forms/widgets/ word for word,
trailing newlines included, with the template engine's escaping: `{{ x }}` is `_text(x)`,
`{{ x|stringformat:'s' }}` is `_formatted(x)`. tests/portal/test_calculator_rendering.py
compares the two renderers on bound forms with values, errors and hostile text, so the two
cannot drift apart unnoticed.
"""

import html
from collections.abc import Callable

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.safestring import SafeData, SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

WIDGETS = "django/forms/widgets/"


# django.utils.html.escape is html.escape behind a wrapper for lazy text, which costs twice
# the escaping itself; the text escaped here is never lazy.
_escape = html.escape


def _text(value) -> str:
    """`{{ value }}` with autoescaping (django.template.base.render_value_in_context)."""
    if type(value) is str:
        return _escape(value)
    value = localize(template_localtime(value))
    if not issubclass(type(value), str):
        value = str(value)
    # conditional_escape of a str
    return value.__html__() if hasattr(value, "__html__") else _escape(value)


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: the filter keeps safe text safe (is_safe=True)."""
    if type(value) is str:
        return _escape(value)
    if isinstance(value, tuple):
        value = str(value)
    try:
        text = "%s" % value  # noqa: UP031  (the filter's own formatting)
    except (ValueError, TypeError):
        return ""
    return text if isinstance(value, SafeData) else _escape(text)


def _attrs(widget: dict) -> str:
    """attrs.html"""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"'
        for name, value in widget["attrs"].items()
        if value is not False
    )


def _input(widget: dict) -> str:
    """input.html, and every template that only includes it (text, number, date, checkbox,
    hidden …), each adding a newline of its own."""
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
        f"{shown}{_attrs(widget)}>\n"
    )


def _input_option(widget: dict) -> str:
    """input_option.html: a radio or checkbox of a group, its label around it or not."""
    if not widget["wrap_label"]:
        return _input(widget) + "\n"
    id_ = widget["attrs"].get("id")
    label_for = f' for="{_text(id_)}"' if id_ else ""
    return f"<label{label_for}>{_input(widget)} {_text(widget['label'])}</label>\n"


def _select_option(widget: dict) -> str:
    """select_option.html"""
    return (
        f'<option value="{_formatted(widget["value"])}"{_attrs(widget)}>'
        f"{_text(widget['label'])}</option>\n"
    )


class WidgetRenderer(DjangoTemplates):
    """Django's template form renderer, with the plain widgets written in Python."""

    def __init__(self) -> None:
        self._writers: dict[str, Callable[[dict], str]] = {
            **{
                f"{WIDGETS}{name}.html": self._included_input
                for name in (
                    "checkbox",
                    "color",
                    "date",
                    "datetime",
                    "email",
                    "hidden",
                    "number",
                    "password",
                    "search",
                    "tel",
                    "text",
                    "time",
                    "url",
                )
            },
            f"{WIDGETS}input.html": _input,
            f"{WIDGETS}input_option.html": _input_option,
            f"{WIDGETS}radio_option.html": self._included_input_option,
            f"{WIDGETS}checkbox_option.html": self._included_input_option,
            f"{WIDGETS}select.html": self._select,
            f"{WIDGETS}select_option.html": _select_option,
        }

    def render(self, template_name, context, request=None):
        write = self._writers.get(template_name)
        if write is None or request is not None or context.keys() != {"widget"}:
            return super().render(template_name, context, request)
        return SafeString(write(context["widget"]).strip())

    def _write(self, template_name: str, widget: dict) -> str:
        """A template included from another with `widget` set: its whole output."""
        write = self._writers.get(template_name)
        if write is None:
            return self.get_template(template_name).render({"widget": widget})
        return write(widget)

    @staticmethod
    def _included_input(widget: dict) -> str:
        return _input(widget) + "\n"

    @staticmethod
    def _included_input_option(widget: dict) -> str:
        return _input_option(widget) + "\n"

    def _select(self, widget: dict) -> str:
        """select.html"""
        parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget)}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{_text(group_name)}">')
            for option in group_choices:
                parts.append("\n  ")
                parts.append(self._write(option["template_name"], option))
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>\n")
        return "".join(parts)


# The calculator's own field templates, written in Python the same way: a bound field of the
# calculator costs one call instead of two includes, an if-chain and a dozen lookups. The
# templates stay the reference (the console renders its fields through them) and
# tests/portal/test_calculator_rendering.py compares the two on every calculator field.


def field_html(field) -> SafeString:
    """console/_field.html for one bound field."""
    input_type = getattr(field.field.widget, "input_type", None)
    label = _text(field.label)
    if input_type == "checkbox":
        head = (
            f'<div class="field"><label class="check">{_text(field)} <span>{label}</span></label>'
        )
    elif input_type == "radio":
        radios = "".join(
            f'<label class="inline">{_text(radio.tag())} {_text(radio.choice_label)}</label>'
            for radio in field
        )
        head = (
            f'<div class="field"><span class="label">{label}</span>'
            f'<span class="radios">{radios}</span>'
        )
    else:
        head = (
            f'<div class="field"><label for="{_text(field.id_for_label)}">{label}</label>'
            f"{_text(field)}"
        )
    errors = field.errors
    if errors:
        items = "".join(f"<li>{label}：{_text(error)}</li>" for error in errors)
        head += f'<ul class="errorlist" role="alert">{items}</ul>'
    return SafeString(head + "</div>\n")


def stay_field_html(field) -> SafeString:
    """policy/_stay_field.html for one bound field."""
    help_text = field.help_text
    shown = f'<p class="small muted help">{_text(help_text)}</p>' if help_text else ""
    return SafeString(f"{field_html(field)}{shown}\n")

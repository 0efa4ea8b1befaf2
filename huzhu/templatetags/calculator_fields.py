"""`{{ field|field_html }}` and `{{ field|stay_field_html }}`: the calculator's fields as
console/_field.html and policy/_stay_field.html write them, without the includes
(huzhu/calcfront/renderer.py)."""

from django import template

from huzhu.calcfront.renderer import field_html, stay_field_html

register = template.Library()
register.filter("field_html", field_html)
register.filter("stay_field_html", stay_field_html)

"""Console forms: they only carry fields; checks are the services' (and their rules')."""

from django import forms
from django.utils.translation import gettext_lazy as _

from huzhu.members.models import InsuranceScope
from huzhu.org.models import Unit


class MemberForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    id_number = forms.CharField(label=_("ID number"), max_length=40)
    phone = forms.CharField(label=_("Mobile phone"), max_length=30)
    union_card = forms.CharField(label=_("Union card"), max_length=40)
    unit = forms.ModelChoiceField(label=_("Grassroots union"), queryset=Unit.objects.none())
    employer_name = forms.CharField(label=_("Employer"), max_length=100, required=False)
    has_basic_insurance = forms.BooleanField(
        label=_("Has basic medical insurance"), required=False, initial=True
    )
    insurance_scope = forms.ChoiceField(
        label=_("Insurance scope"), choices=InsuranceScope.choices, initial=InsuranceScope.JIANGSU
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class UnitForm(forms.Form):
    # "Name" is a person's name (姓名) in the catalog; a unit has a 单位名称.
    name = forms.CharField(label=_("Unit name"), max_length=100)
    parent = forms.ModelChoiceField(label=_("Parent unit"), queryset=Unit.objects.none())

    def __init__(self, *args, parents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents


class UnitRenameForm(forms.Form):
    name = forms.CharField(label=_("Unit name"), max_length=100)


class UnitMoveForm(forms.Form):
    parent = forms.ModelChoiceField(label=_("Move under"), queryset=Unit.objects.none())

    def __init__(self, *args, parents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents

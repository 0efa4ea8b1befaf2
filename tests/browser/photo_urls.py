"""The app's URLs plus a page holding the document photo field (files/_photo_input.html) and
a view that says what it received: the files' names, types and pixel sizes."""

import io

from django import forms
from django.http import HttpResponse, JsonResponse
from django.template import Context, Template
from django.urls import include, path
from PIL import Image

PAGE = Template(
    """{% extends "base.html" %}{% block body %}
<form method="post" action="/test-photos/received/" enctype="multipart/form-data">
  {% csrf_token %}
  {% include "files/_photo_input.html" with field=form.invoice camera=True %}
  <button type="submit">提交</button>
</form>{% endblock %}"""
)


class InvoiceForm(forms.Form):
    invoice = forms.FileField(label="住院发票")


def page(request):
    from django.template.context_processors import csrf

    context = Context({"form": InvoiceForm(), **csrf(request)})
    return HttpResponse(PAGE.render(context))


def received(request):
    files = []
    for upload in request.FILES.getlist("invoice"):
        content = upload.read()
        entry = {"name": upload.name, "type": upload.content_type, "size": len(content)}
        if upload.content_type.startswith("image/"):
            with Image.open(io.BytesIO(content)) as image:
                entry.update(format=image.format, width=image.width, height=image.height)
        files.append(entry)
    return JsonResponse({"files": files})


urlpatterns = [
    path("test-photos/", page),
    path("test-photos/received/", received),
    path("", include("huzhu.urls")),
]

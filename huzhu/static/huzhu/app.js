/* huzhu: the little behaviour pages need beyond htmx. It lives here rather than in inline
   handlers (onchange="…"), which the Content-Security-Policy refuses to run. */
"use strict";

// <select data-autosubmit>: choosing a value sends its form (the year pickers).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
});

// The calculator's hospital stays: the page holds one, and "add another" copies the
// <template id="PREFIX-template"> (Django's empty form, __prefix__ in its names) into
// #PREFIX-list, raising the formset's TOTAL_FORMS up to its MAX_NUM_FORMS. The server
// checks those counts again; without this script the page takes one stay.
function stayCounts(button) {
  var prefix = button.getAttribute("data-add-stay");
  var form = button.form;
  return {
    prefix: prefix,
    total: form.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]'),
    max: parseInt(form.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]').value, 10)
  };
}

function showAddStay(button) {
  var counts = stayCounts(button);
  button.hidden = !(parseInt(counts.total.value, 10) < counts.max);
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-add-stay]").forEach(showAddStay);
});

document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button[data-add-stay]") : null;
  if (!button) {
    return;
  }
  var counts = stayCounts(button);
  var index = parseInt(counts.total.value, 10);
  if (!(index >= 0 && index < counts.max)) {
    return;
  }
  var html = document.getElementById(counts.prefix + "-template").innerHTML
    .replace(/__prefix__/g, String(index))
    .replace(/__number__/g, String(index + 1));
  var list = document.getElementById(counts.prefix + "-list");
  list.insertAdjacentHTML("beforeend", html);
  counts.total.value = String(index + 1);
  showAddStay(button);
  var first = list.lastElementChild.querySelector("input, select");
  if (first) {
    first.focus();
  }
});

// <form data-submit-once>: a second click while the first is on its way sends nothing (the
// server refuses a repeated step anyway; this spares the member of staff the message).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute || !form.hasAttribute("data-submit-once")) {
    return;
  }
  if (form.getAttribute("data-sent")) {
    event.preventDefault();
    return;
  }
  form.setAttribute("data-sent", "1");
});

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

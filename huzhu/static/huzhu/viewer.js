/* huzhu: the claim documents' image viewer. A thumbnail link marked data-viewer opens its
   image over the page, to zoom (buttons, wheel, + and -), turn, drag and close (button,
   Escape, a click beside the image). Without this script the link opens the image itself.
   No inline script or style: the Content-Security-Policy refuses them; the image's
   transform is set through the CSSOM, which the policy allows. */
"use strict";

(function () {
  var overlay = null;
  var image = null;
  var view = { scale: 1, turn: 0, x: 0, y: 0 };
  var drag = null;

  function apply() {
    image.style.transform =
      "translate(" + view.x + "px, " + view.y + "px) rotate(" + view.turn + "deg) scale(" + view.scale + ")";
  }

  function zoom(factor) {
    view.scale = Math.min(8, Math.max(0.2, view.scale * factor));
    apply();
  }

  function reset() {
    view = { scale: 1, turn: 0, x: 0, y: 0 };
    apply();
  }

  function button(label, title, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn small secondary";
    b.textContent = label;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.addEventListener("click", function (event) {
      event.stopPropagation();
      action();
    });
    return b;
  }

  function close() {
    if (overlay) {
      overlay.hidden = true;
      image.removeAttribute("src");
    }
  }

  // The buttons' words come from the page (data-viewer-* on the thumbnails' box), in the
  // page's language.
  function build(labels) {
    overlay = document.createElement("div");
    overlay.className = "viewer";
    overlay.hidden = true;
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    var bar = document.createElement("div");
    bar.className = "viewer-bar";
    bar.appendChild(button("+", labels.viewerZoomIn || "+", function () { zoom(1.25); }));
    bar.appendChild(button("−", labels.viewerZoomOut || "−", function () { zoom(0.8); }));
    bar.appendChild(button("⟳", labels.viewerTurn || "⟳", function () {
      view.turn = (view.turn + 90) % 360;
      apply();
    }));
    bar.appendChild(button("1:1", labels.viewerReset || "1:1", reset));
    bar.appendChild(button("×", labels.viewerClose || "×", close));
    var stage = document.createElement("div");
    stage.className = "viewer-stage";
    image = document.createElement("img");
    image.alt = "";
    image.draggable = false;
    stage.appendChild(image);
    overlay.appendChild(bar);
    overlay.appendChild(stage);
    stage.addEventListener("click", function (event) {
      if (event.target === stage) {
        close();
      }
    });
    stage.addEventListener("wheel", function (event) {
      event.preventDefault();
      zoom(event.deltaY < 0 ? 1.1 : 0.9);
    }, { passive: false });
    image.addEventListener("pointerdown", function (event) {
      drag = { x: event.clientX - view.x, y: event.clientY - view.y };
      image.setPointerCapture(event.pointerId);
    });
    image.addEventListener("pointermove", function (event) {
      if (drag) {
        view.x = event.clientX - drag.x;
        view.y = event.clientY - drag.y;
        apply();
      }
    });
    image.addEventListener("pointerup", function () { drag = null; });
    document.body.appendChild(overlay);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-viewer]") : null;
    if (!link) {
      return;
    }
    event.preventDefault();
    if (!overlay) {
      var box = link.closest("[data-viewer-close]");
      build(box ? box.dataset : {});
    }
    image.src = link.getAttribute("href");
    image.alt = link.getAttribute("title") || "";
    reset();
    overlay.hidden = false;
  });

  document.addEventListener("keydown", function (event) {
    if (!overlay || overlay.hidden) {
      return;
    }
    if (event.key === "Escape") {
      close();
    } else if (event.key === "+" || event.key === "=") {
      zoom(1.25);
    } else if (event.key === "-") {
      zoom(0.8);
    }
  });
})();

/* huzhu: document photos shrunk on the phone before they are sent (SPEC C1).

   <input type="file" data-shrink> (huzhu/templates/files/_photo_input.html): every image the
   browser can decode — HEIC too where it can (Safari) — is drawn on a canvas at most 1,800 px
   on its long edge and sent as a JPEG at quality 0.8, about 250 KB instead of 3–5 MB over a
   phone's connection. PDFs, and whatever the browser cannot decode, are sent as chosen. The
   server checks and re-encodes every file again (huzhu/files/images.py): this script only
   saves time and data, and the form works the same without it.

   A choice adds to the files chosen before (a photo taken with the camera, then another)
   where the browser lets a script set an input's files (DataTransfer); elsewhere the input
   keeps its own behaviour. Texts shown come from the input's data attributes, which the
   template translates: data-shrinking, data-remove.

   Plain ES2017 without modules: WeChat's web-views and iOS Safari run it as it is. No
   object URLs (blob:) are shown: the Content-Security-Policy allows images from our own
   site only, so previews are drawn on small canvases instead. */
(function () {
  "use strict";
  // The snippet may be included once per field: one set of listeners is enough.
  if (window.huzhuPhotos) {
    return;
  }
  window.huzhuPhotos = true;

  var LONG_EDGE = 1800;
  // iOS refuses to draw a canvas larger than 16.7 million pixels (4096 × 4096).
  var CANVAS_PIXELS = 16777216;
  var QUALITY = 0.8;
  var PREVIEW_EDGE = 64;
  var KEPT_TYPES = ["image/jpeg", "image/png"];

  var canSetFiles = (function () {
    try {
      return typeof DataTransfer === "function" && !!new DataTransfer().items;
    } catch (error) {
      return false;
    }
  })();
  // The files each input holds as this script set them (the input's own list is replaced
  // by every new choice).
  var kept = new WeakMap();

  function decode(file) {
    if (typeof createImageBitmap !== "function") {
      return Promise.reject(new Error("no createImageBitmap"));
    }
    // Turned upright by its EXIF orientation, as the phone showed it; an older engine that
    // does not know the option refuses it, and then decodes as it always did.
    return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
      return createImageBitmap(file);
    });
  }

  function scaleFor(width, height, edge) {
    var scale = Math.min(1, edge / Math.max(width, height));
    return Math.min(scale, Math.sqrt(CANVAS_PIXELS / (width * height)));
  }

  function draw(bitmap, edge) {
    var scale = scaleFor(bitmap.width, bitmap.height, edge);
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    var context = canvas.getContext("2d");
    // A PNG with transparency: on white, as it would look on paper (JPEG has no alpha).
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  function toJpeg(canvas) {
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) {
        if (blob) {
          resolve(blob);
        } else {
          reject(new Error("toBlob gave nothing"));
        }
      }, "image/jpeg", QUALITY);
    });
  }

  function jpegName(name) {
    var dot = name.lastIndexOf(".");
    return (dot > 0 ? name.slice(0, dot) : name || "photo") + ".jpg";
  }

  // One chosen file → { file: what is sent, preview: a small canvas or null }.
  function shrink(file) {
    if (!/^image\//.test(file.type) && !/\.(heic|heif)$/i.test(file.name)) {
      return Promise.resolve({ file: file, preview: null });
    }
    return decode(file).then(function (bitmap) {
      var preview = draw(bitmap, PREVIEW_EDGE);
      var small = Math.max(bitmap.width, bitmap.height) <= LONG_EDGE;
      if (small && KEPT_TYPES.indexOf(file.type) >= 0) {
        if (bitmap.close) {
          bitmap.close();
        }
        return { file: file, preview: preview };
      }
      var canvas = draw(bitmap, LONG_EDGE);
      if (bitmap.close) {
        bitmap.close();
      }
      return toJpeg(canvas).then(function (blob) {
        var jpeg = new File([blob], jpegName(file.name), {
          type: "image/jpeg",
          lastModified: file.lastModified || Date.now()
        });
        return { file: jpeg, preview: preview };
      });
    }).catch(function () {
      // Not decodable here (HEIC outside Safari, a damaged file): sent as it is.
      return { file: file, preview: null };
    });
  }

  function previewList(input) {
    var list = document.querySelector('[data-shrink-list="' + input.id + '"]');
    if (list) {
      return list;
    }
    var box = null;
    for (var node = input.parentNode; node && node !== input.form && !box; node = node.parentNode) {
      box = node.querySelector("[data-shrink-preview]");
    }
    list = document.createElement("ul");
    list.className = "photo-list";
    list.setAttribute("data-shrink-list", input.id);
    if (box) {
      box.appendChild(list);
    } else {
      input.parentNode.insertBefore(list, input.nextSibling);
    }
    return list;
  }

  function kilobytes(size) {
    return Math.max(1, Math.round(size / 1024)) + " KB";
  }

  function setFiles(input, entries) {
    var transfer = new DataTransfer();
    entries.forEach(function (entry) {
      transfer.items.add(entry.file);
    });
    input.files = transfer.files;
    kept.set(input, entries);
  }

  function show(input, entries) {
    var list = previewList(input);
    list.textContent = "";
    entries.forEach(function (entry, index) {
      var item = document.createElement("li");
      if (entry.preview) {
        entry.preview.className = "photo-thumb";
        entry.preview.setAttribute("aria-hidden", "true");
        item.appendChild(entry.preview);
      }
      var text = document.createElement("span");
      text.textContent = entry.file.name + " · " + kilobytes(entry.file.size);
      item.appendChild(text);
      if (kept.get(input) && input.getAttribute("data-remove")) {
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link";
        remove.textContent = input.getAttribute("data-remove");
        remove.addEventListener("click", function () {
          var rest = (kept.get(input) || []).filter(function (other, at) {
            return at !== index;
          });
          setFiles(input, rest);
          show(input, rest);
        });
        item.appendChild(remove);
      }
      list.appendChild(item);
    });
  }

  function submitButtons(form) {
    return form
      ? Array.prototype.slice.call(
          form.querySelectorAll('button:not([type]), button[type="submit"], input[type="submit"]')
        )
      : [];
  }

  // Shrinking in progress, per form: its buttons wait, and so does a submit by Enter.
  var busy = new WeakMap();

  function begin(input) {
    var form = input.form;
    var count = form ? (busy.get(form) || 0) + 1 : 0;
    if (form) {
      busy.set(form, count);
    }
    if (count === 1) {
      submitButtons(form).forEach(function (button) {
        if (!button.disabled) {
          button.disabled = true;
          button.setAttribute("data-shrink-disabled", "");
        }
      });
    }
    var list = previewList(input);
    list.setAttribute("aria-busy", "true");
    if (input.getAttribute("data-shrinking")) {
      list.textContent = "";
      var note = document.createElement("li");
      note.className = "muted";
      note.textContent = input.getAttribute("data-shrinking");
      list.appendChild(note);
    }
  }

  function end(input) {
    var form = input.form;
    if (!form) {
      previewList(input).removeAttribute("aria-busy");
      return;
    }
    var count = Math.max(0, (busy.get(form) || 1) - 1);
    busy.set(form, count);
    previewList(input).removeAttribute("aria-busy");
    if (count === 0) {
      submitButtons(form).forEach(function (button) {
        if (button.hasAttribute("data-shrink-disabled")) {
          button.disabled = false;
          button.removeAttribute("data-shrink-disabled");
        }
      });
    }
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches('input[type="file"][data-shrink]') || !input.files) {
      return;
    }
    var chosen = Array.prototype.slice.call(input.files);
    if (!chosen.length) {
      // Cancelled: the input is now empty; what the script had kept is put back.
      if (canSetFiles && kept.get(input)) {
        setFiles(input, kept.get(input));
      }
      return;
    }
    begin(input);
    Promise.all(chosen.map(shrink)).then(function (entries) {
      var sent = entries.map(function (entry, at) {
        return { file: chosen[at], preview: entry.preview };
      });
      if (canSetFiles) {
        // An input without `multiple` (the camera) still keeps one photo after another.
        var all = (kept.get(input) || []).concat(entries);
        try {
          setFiles(input, all);
          sent = all;
        } catch (error) {
          kept.delete(input);  // the input still holds the files as chosen
        }
      }
      show(input, sent);
    }).catch(function () {
      // Whatever went wrong, the input still holds the files as chosen.
    }).then(function () {
      end(input);
    });
  });

  document.addEventListener("submit", function (event) {
    if (busy.get(event.target)) {
      event.preventDefault();
    }
  }, true);
})();

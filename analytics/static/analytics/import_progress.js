// Polls an import's status (a small JSON answer) and updates the progress; reloads the page when it is done.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.finished === "1") return;
  var bar = document.getElementById("import-bar");
  function set(name, value) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (el) el.textContent = value;
  }
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        set("status_label", s.status_label);
        set("rows_done", s.rows_done);
        set("rows_total", s.rows_total);
        if (bar) { bar.max = s.rows_total || 1; bar.value = s.rows_done; }
        if (s.finished) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();

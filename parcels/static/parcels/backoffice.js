/* The parcel point's back office. Every screen works without this script; it only
 * - fills the hidden "device" fields with a random id this browser keeps (which desk scanned what),
 * - stops a second submission while the first is on its way (a double Enter from a scanner),
 * - makes the Print buttons print,
 * - sends the form on Enter in a list that asks for it (returns: "which carrier?"), as in a text field.
 */
(function () {
  "use strict";

  function deviceId() {
    try {
      var id = localStorage.getItem("agora.parcels.device");
      if (!id && window.crypto && crypto.randomUUID) {
        id = crypto.randomUUID();
        localStorage.setItem("agora.parcels.device", id);
      }
      return id || "";
    } catch (error) {
      return "";
    }
  }

  var device = deviceId();
  Array.prototype.forEach.call(document.querySelectorAll("input[data-device]"), function (field) {
    field.value = device;
  });

  Array.prototype.forEach.call(document.querySelectorAll("form[data-once]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitting) {
        event.preventDefault();
        return;
      }
      form.dataset.submitting = "1";
      form.setAttribute("aria-busy", "true");
    });
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    Array.prototype.forEach.call(document.querySelectorAll("form[data-submitting]"), function (form) {
      delete form.dataset.submitting;
      form.removeAttribute("aria-busy");
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  Array.prototype.forEach.call(document.querySelectorAll("select[data-enter-submits]"), function (select) {
    select.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || !select.form) return;
      event.preventDefault();
      select.form.requestSubmit();
    });
  });

  var scan = document.querySelector("[data-scan-input]");
  if (scan && !document.querySelector("[role=alert]")) scan.focus();
})();

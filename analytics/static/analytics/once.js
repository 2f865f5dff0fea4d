/* Forms marked data-once (a computation asked for: publishing figures, an effect report, segments, advice) send
 * once. While the page waits for the answer the button says so (its data-busy-label, "Computing…") and is disabled,
 * so a second click does not ask again and the wait is not silent. Back from the browser's cache the form is usable
 * again. Without this script the forms work as before.
 */
(function () {
  "use strict";

  function buttons(form) {
    return form.querySelectorAll("button[data-busy-label]");
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-once]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitting) {
        event.preventDefault();
        return;
      }
      form.dataset.submitting = "1";
      form.setAttribute("aria-busy", "true");
      Array.prototype.forEach.call(buttons(form), function (button) {
        button.dataset.label = button.textContent;
        button.textContent = button.dataset.busyLabel;
        // After this event: the browser has taken the form's fields by then.
        window.setTimeout(function () { button.disabled = true; }, 0);
      });
    });
  });

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    Array.prototype.forEach.call(document.querySelectorAll("form[data-submitting]"), function (form) {
      delete form.dataset.submitting;
      form.removeAttribute("aria-busy");
      Array.prototype.forEach.call(buttons(form), function (button) {
        if (button.dataset.label) button.textContent = button.dataset.label;
        button.disabled = false;
      });
    });
  });
})();

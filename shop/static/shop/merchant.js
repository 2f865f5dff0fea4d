/* The merchant's webshop pages. A form marked data-once is sent once: a second click while the page is on its way
   does nothing (the server refuses a repeat too; this spares the wait). A file input with data-max-bytes says at
   once that the chosen file is too large (data-too-large), before it is uploaded. */
(function () {
  "use strict";

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
    if (!event.persisted) return; // back to a page from the browser's cache: its forms may be sent again
    Array.prototype.forEach.call(document.querySelectorAll("form[data-submitting]"), function (form) {
      delete form.dataset.submitting;
      form.removeAttribute("aria-busy");
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-max-bytes]"), function (input) {
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      var tooLarge = file && file.size > Number(input.dataset.maxBytes);
      input.setCustomValidity(tooLarge ? input.dataset.tooLarge || "" : "");
      if (tooLarge) input.reportValidity();
    });
  });
})();

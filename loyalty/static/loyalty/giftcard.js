/* Gift cards: the till's gift-card screen and the desk's printable card. Without this script both work as is.
 *
 * - A keyboard-wedge scanner types the card number and presses Enter: the cursor moves to the PIN, Enter there
 *   to the amount, Enter in the amount submits.
 * - One submission per form: a second tap while the first is on its way does nothing. The request key comes
 *   from the server with each fresh form and is sent again on a retry, so a retry is answered, not paid twice.
 * - The desk's Print button prints the card.
 */
(function () {
  "use strict";

  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  Array.prototype.forEach.call(document.querySelectorAll("[data-giftcard-form], form[data-once]"), function (f) {
    f.addEventListener("submit", function (event) {
      if (f.dataset.submitting) {
        event.preventDefault();
        return;
      }
      f.dataset.submitting = "1";
      f.setAttribute("aria-busy", "true");
    });
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    Array.prototype.forEach.call(document.querySelectorAll("form[data-submitting]"), function (f) {
      delete f.dataset.submitting;
      f.removeAttribute("aria-busy");
    });
  });

  var form = document.querySelector("[data-giftcard-form]");
  if (!form) return;
  // The field the page put the cursor in (the one in error) has its refused text selected: a new scan or typing
  // replaces it instead of going in front of it.
  var refused = form.querySelector("[autofocus]");
  if (refused && refused.value && refused.select) refused.select();
  var order = ["[data-number-input]", "[data-pin-input]", "[data-amount-input]"].map(function (selector) {
    return form.querySelector(selector);
  });
  order.forEach(function (input, index) {
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      // The next empty field after this one (round the form); none left: submit.
      var next = order.slice(index + 1).concat(order.slice(0, index + 1)).filter(function (other) {
        return !other.value.trim();
      })[0];
      if (next) next.focus();
      else if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    });
  });
})();

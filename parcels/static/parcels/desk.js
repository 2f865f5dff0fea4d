/* The parcel desk: keyboard and scanner first. Without this script every page works as is (POST, redirect, GET).
 *
 * Intake: a keyboard-wedge scanner types the code and presses Enter. The scan goes by fetch (the server answers
 * JSON when asked for it), only the result panel and the list of recent scans change, the scan field is emptied at
 * once and keeps the focus, so the next parcel can be scanned while the answer is on its way (it is sent as soon
 * as the answer came). A question ("which carrier?": number keys 1–9; "who is it for?") takes the focus until it is
 * answered. Each scan carries the request key the server made for it; a resubmit after a lost answer reuses it.
 * After each answer the scan form fires "parcels:ready" (the browser test times the desk with it).
 *
 * Pickup: scanning a parcel's barcode ticks it off in the list; Enter in the empty scan field hands out.
 */
(function () {
  "use strict";

  function normalise(code) {
    return String(code || "").replace(/\s+/g, "").toUpperCase();
  }

  function isTyping(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // --- Intake -----------------------------------------------------------------------------------------------

  var scanForm = document.querySelector("[data-scan-form]");
  if (scanForm && window.fetch && window.FormData) {
    var scanInput = scanForm.querySelector("[data-scan-input]");
    var keyField = scanForm.querySelector("[data-request-key]");
    var pendingField = scanForm.querySelector("[data-pending]");
    var suggestedField = scanForm.querySelector("[data-suggested]");
    var help = scanForm.querySelector("[data-scan-help]");
    var size = scanForm.querySelector("select[name=size_class]");
    var panel = document.querySelector("[data-result]");
    var recent = document.querySelector("[data-recent]");
    var busy = false;
    var queued = false;

    var ready = function (kind) {
      scanForm.dispatchEvent(new CustomEvent("parcels:ready", { detail: { kind: kind } }));
    };

    var focusAfter = function (kind) {
      var target = null;
      if (kind === "recipient") target = panel.querySelector("[data-recipient-form] input:not([type=hidden])");
      else if (kind === "choose_carrier") target = panel.querySelector("[data-choice]");
      (target || scanInput).focus();
    };

    var apply = function (answer) {
      panel.innerHTML = answer.panel;
      recent.innerHTML = answer.recent;
      keyField.value = answer.request_key;
      pendingField.value = answer.pending || "";
      suggestedField.value = answer.suggested || "";
      help.textContent = answer.pending ? scanForm.dataset.msgSlot : scanForm.dataset.msgScan;
      // A size chosen for one parcel is not the next one's (a question carries it in its own form).
      if (size && answer.kind !== "error") size.value = "";
      focusAfter(answer.kind);
    };

    var fail = function (form, sentCode) {
      // Keep the request key: sending the same scan again must not take the parcel twice.
      if (form === scanForm && !scanInput.value) scanInput.value = sentCode;
      panel.innerHTML = "";
      var note = document.createElement("p");
      note.className = "pdesk-card pdesk-card--bad";
      note.setAttribute("role", "alert");
      note.textContent = scanForm.dataset.msgFailed;
      panel.appendChild(note);
      scanInput.focus();
    };

    var send = function (form, submitter) {
      var data = new FormData(form);
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
      var sentCode = "";
      if (form === scanForm) {
        sentCode = scanInput.value;
        scanInput.value = ""; // ready for the next scan while this one is on its way
      }
      busy = true;
      form.setAttribute("aria-busy", "true");
      fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-Requested-With": "fetch" },
      })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("application/json") === -1) throw new Error("not an answer of the desk");
          return response.json();
        })
        .then(function (answer) {
          apply(answer);
          busy = false;
          form.removeAttribute("aria-busy");
          ready(answer.kind);
          if (queued) {
            queued = false;
            if (scanInput.value.trim()) send(scanForm, null);
          }
        })
        .catch(function () {
          busy = false;
          queued = false;
          form.removeAttribute("aria-busy");
          fail(form, sentCode);
          ready("failed");
        });
    };

    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.matches || !form.matches("[data-intake-form]")) return;
      event.preventDefault();
      if (busy) {
        if (form === scanForm) queued = true;
        return;
      }
      send(form, event.submitter || null);
    });

    // Number keys 1–9 answer "which carrier?"; any other key typed outside a field goes to the scan field.
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return;
      var target = event.target;
      var choices = panel.querySelector("[data-choices]");
      if (choices && /^[1-9]$/.test(event.key) && (!isTyping(target) || (target === scanInput && !scanInput.value))) {
        var button = choices.querySelector('[data-choice="' + event.key + '"]');
        if (button) {
          event.preventDefault();
          button.click();
        }
        return;
      }
      if (!isTyping(target)) scanInput.focus();
    });
  }

  // --- Pickup: tick parcels off by their barcode ---------------------------------------------------------------

  var handOut = document.querySelector("[data-handout-form]");
  if (handOut) {
    var parcelScan = handOut.querySelector("[data-parcel-scan]");
    var message = handOut.querySelector("[data-scan-message]");
    var boxes = Array.prototype.slice.call(handOut.querySelectorAll("input[name=parcels]"));
    parcelScan.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      var scanned = normalise(parcelScan.value);
      parcelScan.value = "";
      if (!scanned) {
        // Enter in the empty field: hand out what is ticked.
        handOut.querySelector("[data-hand-out]").click();
        return;
      }
      var match = boxes.filter(function (box) {
        var code = normalise(box.dataset.code);
        return code === scanned || (code.length >= 8 && scanned.indexOf(code) !== -1);
      })[0];
      message.hidden = !!match;
      if (match) match.checked = true;
      else message.textContent = handOut.dataset.msgUnknown + " " + scanned;
    });
  }

  // One submission per form: a second Enter while the first is on its way does nothing.
  Array.prototype.forEach.call(document.querySelectorAll("form:not([data-intake-form])"), function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitting) event.preventDefault();
      else form.dataset.submitting = "1";
    });
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    Array.prototype.forEach.call(document.querySelectorAll("form[data-submitting]"), function (form) {
      delete form.dataset.submitting;
    });
  });

  // --- Labels ----------------------------------------------------------------------------------------------------

  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();

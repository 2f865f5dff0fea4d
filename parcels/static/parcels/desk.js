/* The parcel desk: keyboard and scanner first. Without this script every page works as is (POST, redirect, GET).
 *
 * Intake: a keyboard-wedge scanner types the code and presses Enter. The scan goes by fetch (the server answers
 * JSON when asked for it), only the result panel and the list of recent scans change, the scan field is emptied at
 * every Enter and keeps the focus, so the next parcels can be scanned while an answer is on its way: each one waits
 * in a queue of its own and is sent, in turn, after the answer before it (never two codes run together). A question
 * ("who is it for?", "which carrier?") holds the queue until it is answered.
 * "Which carrier?" takes the number keys 1–9, but a scanner types a barcode too, digits first perhaps, a few
 * milliseconds apart: a digit is an answer only when no other key follows it within SCAN_GAP ms (else it and the
 * keys after it go to the scan field), and never a key typed within SCAN_GAP ms of the one before.
 * Each scan carries the request key the server made for it; a resubmit after a lost answer reuses it.
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
    var waiting = scanForm.querySelector("[data-queue]");
    var busy = false;
    var queue = []; // codes scanned while an answer was on its way, oldest first
    // Keys of a keyboard-wedge scanner come a few milliseconds apart; a person's, one at a time, much further.
    var SCAN_GAP = 150;
    var lastKeyAt = -Infinity;
    var held = null; // a digit that may answer "which carrier?" once SCAN_GAP ms pass without another key

    var asking = function () {
      return !!panel.querySelector("[data-choices], [data-recipient-form]");
    };

    var showQueue = function () {
      if (!waiting) return;
      waiting.hidden = !queue.length;
      waiting.textContent = queue.length ? scanForm.dataset.msgQueued + " " + queue.join(", ") : "";
    };

    var next = function () {
      if (busy || !queue.length || asking()) return;
      var code = queue.shift();
      showQueue();
      send(scanForm, null, code);
    };

    var ready = function (kind) {
      scanForm.dispatchEvent(new CustomEvent("parcels:ready", { detail: { kind: kind } }));
    };

    var focusAfter = function (kind) {
      // "Which carrier?" leaves the focus in the scan field: the next scan goes there whole, and the number keys
      // (or a tap) answer. A focused carrier button would take a scanner's Enter as an answer.
      var target = null;
      if (kind === "recipient") target = panel.querySelector("[data-recipient-form] input:not([type=hidden])");
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
      // Keep the request key: sending the same scan again must not take the parcel twice. So it goes first: back
      // in the field (Enter sends it again), or, with scans waiting, at the head of their queue (listed under the
      // field; Enter sends them on).
      if (form === scanForm && sentCode) {
        if (queue.length || scanInput.value) queue.unshift(sentCode);
        else scanInput.value = sentCode;
      }
      panel.innerHTML = "";
      var note = document.createElement("p");
      note.className = "pdesk-card pdesk-card--bad";
      note.setAttribute("role", "alert");
      note.textContent = scanForm.dataset.msgFailed;
      panel.appendChild(note);
      showQueue();
      scanInput.focus();
    };

    var send = function (form, submitter, code) {
      var data = new FormData(form);
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
      var sentCode = "";
      if (form === scanForm) {
        sentCode = code;
        data.set("code", code);
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
          next();
        })
        .catch(function () {
          busy = false;
          form.removeAttribute("aria-busy");
          fail(form, sentCode);
          ready("failed");
        });
    };

    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.matches || !form.matches("[data-intake-form]")) return;
      event.preventDefault();
      if (form !== scanForm) {
        if (!busy) send(form, event.submitter || null);
        return;
      }
      var code = scanInput.value.trim();
      scanInput.value = ""; // every Enter: the next scan starts in an empty field
      if (!code && panel.querySelector("[data-choices]")) return; // Enter is no answer to "which carrier?"
      if (busy || queue.length) {
        // An empty Enter means "the suggested slot" only for the answer now on screen: not queued.
        if (code) queue.push(code);
        showQueue();
        next();
        return;
      }
      send(scanForm, null, code);
    });

    var answerCarrier = function (key) {
      var button = panel.querySelector('[data-choices] [data-choice="' + key + '"]');
      if (button && !busy) button.click();
    };

    // A held digit was the start of a scan after all: it goes to the scan field, before the key that followed.
    var release = function () {
      clearTimeout(held.timer);
      var digit = held.key;
      held = null;
      if (document.activeElement !== scanInput) scanInput.focus();
      scanInput.value += digit;
    };

    // Number keys 1–9 answer "which carrier?"; any other key typed outside a field goes to the scan field.
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      var now = event.timeStamp || performance.now();
      var fast = now - lastKeyAt < SCAN_GAP;
      lastKeyAt = now;
      var target = event.target;
      if (held) {
        release();
        if (target !== scanInput) {
          // The focus moved to the scan field: this key belongs there too (Enter sends the scan).
          event.preventDefault();
          if (event.key === "Enter") scanForm.requestSubmit();
          else if (event.key.length === 1) scanInput.value += event.key;
          return;
        }
      }
      if (event.key.length !== 1) return;
      var choices = panel.querySelector("[data-choices]");
      var mayAnswer = !isTyping(target) || (target === scanInput && !scanInput.value);
      if (choices && /^[1-9]$/.test(event.key) && mayAnswer && !fast) {
        event.preventDefault();
        var key = event.key;
        held = {
          key: key,
          timer: setTimeout(function () {
            held = null;
            answerCarrier(key);
          }, SCAN_GAP),
        };
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

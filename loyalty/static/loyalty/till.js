/* The till: keyboard and scanner first, the camera where there is one. Without this script the form works as is.
 *
 * - A keyboard-wedge scanner types the code and presses Enter: with an amount already typed that submits,
 *   otherwise the cursor moves to the amount. Enter in the amount submits (or goes back to an empty code); with a
 *   gift card's number entered, Enter goes through its amount and PIN first.
 * - After an error the field in error has the cursor, its text selected: the next scan or typing replaces it.
 * - A scan goes in the field of its kind, told by its shape as `loyalty.codes.scan_kind` tells it (`scanKind`): a
 *   pass in the pass code, a voucher's code or a gift card's number in its field under "Voucher, reward or gift
 *   card" (which opens). Wherever the wedge typed it, on its Enter it is moved there; so is a camera scan.
 * - The idempotency key is made here, fresh for every form the server sends. A double tap is stopped, and a
 *   resent request (a reload after a lost answer, or the form again via Back) keeps its key, so the server
 *   answers it with the first result instead of awarding twice.
 * - The camera button appears only where a camera exists; jsQR is loaded when it is first used.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var form = document.querySelector("[data-till-form]");
  if (!form) return;

  var codeInput = form.querySelector("[data-code-input]");
  var amountInput = form.querySelector("[data-amount-input]");
  var voucherInput = form.querySelector("[data-voucher-input]");
  var giftcardInput = form.querySelector("[data-giftcard-number-input]");
  var giftcardAmount = form.querySelector('[name="giftcard"]');
  var giftcardPin = form.querySelector('[name="giftcard_pin"]');
  var otherwise = form.querySelector("[data-otherwise]");
  var preview = form.querySelector("[data-amount-preview]");
  var language = document.documentElement.lang || "nl";
  var euros = new Intl.NumberFormat(language, { style: "currency", currency: "EUR" });

  // --- Keys ---------------------------------------------------------------------------------------------------

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function freshKeys() {
    var fields = document.querySelectorAll('input[name="request_key"]');
    Array.prototype.forEach.call(fields, function (field) { field.value = newKey(); });
  }

  function ready() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-submitting]"), function (f) {
      delete f.dataset.submitting;
      f.removeAttribute("aria-busy");
    });
  }

  function deviceId() {
    // Which till this is, for the per-device limits: a random id this browser keeps.
    try {
      var id = localStorage.getItem("agora.till.device");
      if (!id) {
        id = newKey();
        localStorage.setItem("agora.till.device", id);
      }
      return id;
    } catch (error) {
      return "";
    }
  }

  freshKeys();
  var deviceField = form.querySelector('input[name="device_id"]');
  if (deviceField) deviceField.value = deviceId();
  // Back to this page from the back/forward cache: usable again, with the same key (its first answer may
  // have been lost; sending it again must not award twice).
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) ready();
  });

  // One submission per form: a second tap while the first is on its way does nothing.
  Array.prototype.forEach.call(document.querySelectorAll("[data-till-form], form[data-once]"), function (f) {
    f.addEventListener("submit", function (event) {
      if (f.dataset.submitting) {
        event.preventDefault();
        return;
      }
      f.dataset.submitting = "1";
      f.setAttribute("aria-busy", "true");
    });
  });

  // --- Amount -------------------------------------------------------------------------------------------------

  function cents(raw) {
    var value = String(raw || "").replace(/[\s\u00a0€]/g, "");
    var match = /^(\d{1,7})(?:[.,](\d{1,2}))?$/.exec(value);
    if (!match) return null;
    var total = Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
    return total > 0 ? total : null;
  }

  function showAmount() {
    var value = cents(amountInput.value);
    preview.textContent = value ? euros.format(value / 100) : "";
  }
  amountInput.addEventListener("input", showAmount);
  showAmount();

  function submit() {
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  // --- What a scan is: the shapes of loyalty/codes.py -------------------------------------------------------

  function luhnValid(digits) {
    var total = 0;
    for (var i = 0; i < digits.length; i++) {
      var digit = Number(digits.charAt(digits.length - 1 - i));
      if (i % 2 === 1) {
        digit *= 2;
        if (digit > 9) digit -= 9;
      }
      total += digit;
    }
    return total % 10 === 0;
  }

  var VOUCHER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

  function voucherValid(code) {
    // Luhn mod 32 over Crockford's base32, as codes.is_valid_voucher_code.
    if (code.length !== 10) return false;
    var total = 0;
    for (var i = 0; i < code.length; i++) {
      var index = VOUCHER_ALPHABET.indexOf(code.charAt(code.length - 1 - i));
      if (index < 0) return false;
      var addend = (i % 2 === 1 ? 2 : 1) * index;
      total += Math.floor(addend / 32) + (addend % 32);
    }
    return total % 32 === 0;
  }

  function normaliseVoucher(text) {
    return text.replace(/[\s\-_.]+/g, "").toUpperCase().replace(/O/g, "0").replace(/[IL]/g, "1");
  }

  // "pass", "voucher", "gift_card" or null, as codes.scan_kind.
  function scanKind(raw) {
    var text = String(raw || "").trim();
    var qr = /^AGORA1\W?(\d{12})\W?\d{6}$/i.exec(text);
    if (qr) return luhnValid(qr[1]) ? "pass" : null;
    var digits = text.replace(/[\s\-.]+/g, "");
    if (/^\d+$/.test(digits)) {
      if ((digits.length === 12 || digits.length === 18) && luhnValid(digits.slice(0, 12))) return "pass";
      if (digits.length === 16 && digits.charAt(0) === "9" && luhnValid(digits)) return "gift_card";
    }
    return voucherValid(normaliseVoucher(text)) ? "voucher" : null;
  }

  // Where the last burst of typing is in each field, from where it began to the caret after its last key: a scanner
  // types a whole code within a few milliseconds, a person a key at a time. The caret, not the end of the text, says
  // where: a field may hold what was there before with the caret anywhere in it (in front, after a tap). The burst
  // tells the scan from what was typed around it ("20" typed, then a gift card's 16 digits: not the 18 digits of a
  // pass and its code) when the shapes alone could be read both ways.
  //
  // A key's time is when the key came (its keydown's timeStamp, the time the browser received it), not when this
  // handler ran: on a busy tablet the page may run late and handle keys typed seconds apart in one go.
  var BURST_MS = 50;
  var bursts = new WeakMap();
  var keyAt = null;
  form.addEventListener("keydown", function (event) { keyAt = event.timeStamp; }, true);
  form.addEventListener("input", function (event) {
    var input = event.target;
    var now = keyAt === null ? event.timeStamp : keyAt;
    keyAt = null; // a paste or a camera scan has no key of its own
    if (typeof input.selectionEnd !== "number") return; // the reward's list
    var caret = input.selectionEnd;
    var last = bursts.get(input);
    var start = last && now - last.at < BURST_MS ? last.start : caret - (event.data ? event.data.length : 1);
    bursts.set(input, { at: now, start: Math.max(0, Math.min(start, caret)), end: caret });
  });

  function split(value, i, keeps) {
    var kind = i < value.length ? scanKind(value.slice(i)) : null;
    if (kind && (i === 0 || keeps(value.slice(0, i)))) return { kind: kind, code: value.slice(i).trim(), rest: value.slice(0, i) };
    return null;
  }

  // The burst, if it is a whole code: the scan, and what is around it if that is the field's own ("12,50" typed
  // before a voucher is scanned); anything else around it is left over from before (a refused value) and goes.
  function burstScan(input, keeps) {
    var value = input.value;
    var burst = bursts.get(input);
    if (!burst || burst.end > value.length) return null;
    var code = value.slice(burst.start, burst.end);
    var kind = scanKind(code);
    if (!kind) return null;
    var rest = value.slice(0, burst.start) + value.slice(burst.end);
    return { kind: kind, code: code.trim(), rest: rest && keeps(rest) ? rest : "" };
  }

  // A field's value may hold a scan besides what was in it ("12,50" and then a voucher): the scan and what was there
  // before it, if what was there is the field's own (`keeps`). The last burst of keys is tried first, then the whole
  // value, then every place a scan could have begun that ends the value (typed without a burst: pasted).
  function scanIn(input, keeps) {
    var value = input.value;
    var found = burstScan(input, keeps) || split(value, 0, keeps);
    for (var i = 1; !found && i < value.length; i++) found = split(value, i, keeps);
    return found;
  }

  // Where Enter (or a scan) goes on from `input`: the first field still empty of the pass code and the amount and,
  // with a gift card's number entered, its amount and PIN; from the gift card's own fields, those first (the
  // customer types the PIN next, into its own hidden field). None: the form is complete.
  function nextEmpty(input) {
    var order = [codeInput, amountInput];
    if (giftcardInput.value.trim()) {
      var card = [giftcardAmount, giftcardPin];
      order = card.indexOf(input) >= 0 || input === giftcardInput ? card.concat(order) : order.concat(card);
    }
    return order.filter(function (field) {
      return field === amountInput || field === giftcardAmount ? !cents(field.value) : !field.value.trim();
    })[0];
  }

  // Enter in a field that is itself the first one empty sends the form: the server says what is missing.
  function goOn(input) {
    var next = nextEmpty(input);
    if (!next || next === input) return submit();
    if (next.closest("details")) next.closest("details").open = true;
    next.focus();
  }

  // Put a scan in the field of its kind, then go on: to the first field still empty (`nextEmpty`); else, after a
  // pass, submit, and after another code to the button.
  function place(scan) {
    var field = { voucher: voucherInput, gift_card: giftcardInput }[scan.kind] || codeInput;
    field.value = scan.code;
    if (field !== codeInput && otherwise) otherwise.open = true;
    if (nextEmpty(field) || scan.kind === "pass") goOn(field);
    else form.querySelector("[data-submit]").focus();
  }

  function routed(input, keeps) {
    var scan = scanIn(input, keeps);
    if (!scan) return false;
    var own = { pass: codeInput, voucher: voucherInput, gift_card: giftcardInput }[scan.kind] === input;
    if (own && input.value.trim() === scan.code) return false; // in its place already
    input.value = scan.rest;
    if (input === amountInput) showAmount();
    place(scan);
    return true;
  }

  function isPass(text) { return scanKind(text) === "pass"; }
  function isVoucher(text) { return scanKind(text) === "voucher"; }
  function isGiftCard(text) { return scanKind(text) === "gift_card"; }
  function isAmount(text) { return cents(text) !== null; }

  // --- Enter, the scanner's last key ----------------------------------------------------------------------

  codeInput.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if (!codeInput.value.trim()) return;
    if (routed(codeInput, isPass)) return;
    goOn(codeInput);
  });

  // Every other field: Enter routes a scan that landed there, or goes on to the first field still empty, or submits;
  // a PIN that is not 4 to 6 digits stays where it is (a wrong one would count against the card).
  var pinInput = form.querySelector('[name="pin"]');
  function isPin(text) { return /^\d{0,6}$/.test(text); }
  [
    [amountInput, isAmount],
    [voucherInput, isVoucher],
    [giftcardInput, isGiftCard],
    [giftcardAmount, isAmount],
    [giftcardPin, isPin],
    [pinInput, isPin],
  ].forEach(function (pair) {
    var input = pair[0];
    if (!input) return;
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      if (routed(input, pair[1])) return;
      if (pair[1] === isPin && input.value && !/^\d{4,6}$/.test(input.value)) return;
      goOn(input);
    });
  });

  // The field the server put the cursor in (the one in error, else the pass code) with its text selected: after an
  // error the next scan or typing replaces what was refused, instead of going in front of it (a focused field's caret
  // is at its start) and sending it again.
  var first = form.querySelector("[autofocus]");
  if (first) {
    if (first.closest("details")) first.closest("details").open = true;
    first.focus();
    if (first.select) first.select();
  }

  // A scan while nothing is focused (after a tap elsewhere) still lands in the code field.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName))) return;
    codeInput.focus();
  });

  // --- Camera ---------------------------------------------------------------------------------------------------

  var cameraButton = form.querySelector("[data-camera]");
  var dialog = document.querySelector("[data-camera-dialog]");
  if (!cameraButton || !dialog || !dialog.showModal || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var video = dialog.querySelector("[data-camera-video]");
  var cameraStatus = dialog.querySelector("[data-camera-status]");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var scanning = false;

  navigator.mediaDevices
    .enumerateDevices()
    .then(function (devices) {
      if (devices.some(function (device) { return device.kind === "videoinput"; })) cameraButton.hidden = false;
    })
    .catch(function () {});

  function loadDecoder() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = script.dataset.jsqr;
      tag.onload = function () { resolve(window.jsQR); };
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
  }

  function stopCamera() {
    scanning = false;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.srcObject = null;
    if (dialog.open) dialog.close();
  }

  function scan(decode) {
    if (!scanning) return;
    if (video.readyState >= 2 && video.videoWidth) {
      var scale = Math.min(1, 640 / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = decode(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (found && found.data) {
        stopCamera();
        place({ kind: scanKind(found.data) || "pass", code: found.data.trim() });
        return;
      }
    }
    requestAnimationFrame(function () { scan(decode); });
  }

  cameraButton.addEventListener("click", function () {
    cameraStatus.textContent = form.dataset.msgScanning;
    Promise.all([
      loadDecoder(),
      navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false }),
    ])
      .then(function (results) {
        stream = results[1];
        video.srcObject = stream;
        dialog.showModal();
        return video.play().then(function () {
          scanning = true;
          scan(results[0]);
        });
      })
      .catch(function () {
        stopCamera();
        cameraButton.hidden = true;
        codeInput.focus();
        var note = document.createElement("p");
        note.className = "errorlist";
        note.setAttribute("role", "alert");
        note.textContent = form.dataset.msgCameraError;
        codeInput.closest(".field").appendChild(note);
      });
  });

  dialog.querySelector("[data-camera-close]").addEventListener("click", function () {
    stopCamera();
    codeInput.focus();
  });
  dialog.addEventListener("close", stopCamera);
})();

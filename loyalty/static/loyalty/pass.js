/* The member's pass: a rotating RFC 6238 code, drawn as a QR code in the browser, also without network.
 *
 * The pass's TOTP secret is asked for once (POST to the pass-key URL) and imported into WebCrypto as a
 * non-extractable HMAC-SHA-1 key. That key object is kept in IndexedDB: this page can sign with it, but no
 * script can read the secret back out of it. The page itself (which the service worker caches) holds no secret.
 * The code is what any RFC 6238 authenticator would show: HMAC-SHA-1 over the 30-second step, 6 digits.
 * The QR code carries "AGORA1:<card number>:<code>", which the till reads.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-pass]");
  if (!root) return;

  var config = root.dataset;
  var cardNumber = config.cardNumber;
  var period = Number(config.period) || 30;
  var digits = Number(config.digits) || 6;
  var DB_NAME = "agora-pass";
  var STORE = "keys";
  var CACHE_PREFIX = "agora-pass-";

  var el = {
    qr: root.querySelector("[data-qr]"),
    code: root.querySelector("[data-code]"),
    countdown: root.querySelector("[data-countdown]"),
    progress: root.querySelector("[data-progress]"),
    seconds: root.querySelector("[data-seconds]"),
    status: root.querySelector("[data-status]"),
    offlineNote: document.querySelector("[data-offline-note]"),
    install: document.querySelector("[data-install]"),
    resetKey: document.querySelector("[data-reset-key]"),
  };

  function say(message) {
    el.status.textContent = message || "";
  }

  // --- RFC 4648 base32 and RFC 6238 TOTP ---------------------------------------------------------------

  function base32Decode(text) {
    var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    var clean = String(text).toUpperCase().replace(/[\s=-]/g, "");
    var bytes = new Uint8Array(Math.floor((clean.length * 5) / 8));
    var buffer = 0;
    var bits = 0;
    var index = 0;
    for (var i = 0; i < clean.length; i++) {
      var value = alphabet.indexOf(clean.charAt(i));
      if (value < 0) throw new Error("The pass key is not base32.");
      buffer = ((buffer << 5) | value) & 0xffff;
      bits += 5;
      if (bits >= 8) {
        bytes[index++] = (buffer >>> (bits - 8)) & 0xff;
        bits -= 8;
      }
    }
    return bytes;
  }

  function stepAt(milliseconds, seconds) {
    return Math.floor(milliseconds / 1000 / seconds);
  }

  /** The RFC 4226 HOTP value of `counter` (RFC 6238: counter = the time step). */
  function hotp(key, counter, length) {
    var message = new ArrayBuffer(8);
    var view = new DataView(message);
    view.setUint32(0, Math.floor(counter / 0x100000000));
    view.setUint32(4, counter >>> 0);
    return crypto.subtle.sign("HMAC", key, message).then(function (signature) {
      var mac = new Uint8Array(signature);
      var offset = mac[mac.length - 1] & 0x0f;
      var number =
        ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
      var code = String(number % Math.pow(10, length));
      while (code.length < length) code = "0" + code;
      return code;
    });
  }

  // --- The key, kept on this device -------------------------------------------------------------------------

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "cardNumber" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function inStore(mode, action) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = action(transaction.objectStore(STORE));
        transaction.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        transaction.onerror = transaction.onabort = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  function storedKey() {
    if (!window.indexedDB) return Promise.resolve(undefined);
    return inStore("readonly", function (store) { return store.get(cardNumber); }).catch(function () {
      return undefined;
    });
  }

  function forgetKeys() {
    if (!window.indexedDB) return Promise.resolve();
    return inStore("readwrite", function (store) { return store.clear(); }).catch(function () {});
  }

  function csrfToken() {
    // The cookie first: a page served from the offline copy may carry an older token than the session's.
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : config.csrf;
  }

  function fetchKey() {
    return fetch(config.keyUrl, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (data.card_number !== cardNumber) throw new Error("The key is for another card.");
        var algorithm = { name: "HMAC", hash: { name: data.algorithm || "SHA-1" } };
        // extractable = false: from here on the secret cannot be read back, only used to sign.
        return crypto.subtle
          .importKey("raw", base32Decode(data.secret), algorithm, false, ["sign"])
          .then(function (key) {
            var record = {
              cardNumber: cardNumber,
              key: key,
              period: data.period || period,
              digits: data.digits || digits,
              savedAt: Date.now(),
            };
            if (!window.indexedDB) return record;
            return inStore("readwrite", function (store) { return store.put(record); })
              .catch(function () {}) // private browsing without storage: the key lives for this visit only
              .then(function () { return record; });
          });
      });
  }

  // --- Drawing ------------------------------------------------------------------------------------------------

  var SVG = "http://www.w3.org/2000/svg";

  function drawQr(text) {
    if (typeof window.qrcode !== "function") return; // no QR library: the code and card number still show
    var qr = window.qrcode(0, "M");
    qr.addData(text, "Alphanumeric"); // upper case, digits and ':' only: the smallest, fastest-scanning symbol
    qr.make();
    var count = qr.getModuleCount();
    var margin = 4; // the quiet zone the QR standard asks for
    var size = count + 2 * margin;
    var path = "";
    for (var row = 0; row < count; row++) {
      for (var col = 0; col < count; col++) {
        if (qr.isDark(row, col)) path += "M" + (col + margin) + " " + (row + margin) + "h1v1h-1z";
      }
    }
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 " + size + " " + size);
    svg.setAttribute("shape-rendering", "crispEdges");
    svg.setAttribute("data-payload", text);
    var background = document.createElementNS(SVG, "rect");
    background.setAttribute("width", String(size));
    background.setAttribute("height", String(size));
    background.setAttribute("fill", "#fff");
    var modules = document.createElementNS(SVG, "path");
    modules.setAttribute("d", path);
    modules.setAttribute("fill", "#000");
    svg.appendChild(background);
    svg.appendChild(modules);
    el.qr.replaceChildren(svg);
    el.qr.classList.add("pass__qr--ready");
  }

  function show(code) {
    el.code.textContent = code.slice(0, 3) + " " + code.slice(3);
    el.code.setAttribute("data-value", code);
    drawQr("AGORA1:" + cardNumber + ":" + code);
  }

  // --- The rotation -------------------------------------------------------------------------------------------

  var current = null; // the key record in use
  var shownStep = null;
  var timer = null;

  function tick() {
    if (!current) return;
    var now = Date.now();
    var seconds = current.period;
    var step = stepAt(now, seconds);
    var left = seconds - Math.floor((now / 1000) % seconds);
    el.seconds.textContent = String(left);
    el.progress.value = left;
    if (step !== shownStep) {
      shownStep = step;
      hotp(current.key, step, current.digits).then(function (code) {
        if (step === shownStep) show(code); // a slower, older signature never overwrites a newer code
      });
    }
    clearTimeout(timer);
    timer = setTimeout(tick, 1000 - (now % 1000) + 5); // just after each second, so the step change is on time
  }

  function start(record) {
    current = record;
    shownStep = null;
    el.progress.max = record.period;
    el.countdown.hidden = false;
    say(config.msgReady);
    if (el.resetKey) el.resetKey.hidden = false;
    tick();
  }

  function load() {
    if (!window.crypto || !crypto.subtle) {
      say(config.msgNoCrypto); // WebCrypto needs https (or localhost)
      return Promise.resolve();
    }
    say(config.msgLoading);
    return storedKey()
      .then(function (record) {
        if (record && record.key) return record;
        if (navigator.onLine === false) {
          say(config.msgOfflineNoKey);
          return null;
        }
        return fetchKey();
      })
      .then(function (record) { if (record) start(record); })
      .catch(function () { say(navigator.onLine === false ? config.msgOfflineNoKey : config.msgFailed); });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") tick();
  });

  if (el.resetKey) {
    el.resetKey.addEventListener("click", function () {
      // Load the key again (e.g. after the collective renewed the pass): drop ours, ask the server.
      current = null;
      el.countdown.hidden = true;
      forgetKeys().then(load);
    });
  }

  // --- Offline, install, screen, logout ----------------------------------------------------------------------

  function showConnectivity() {
    if (!el.offlineNote) return;
    el.offlineNote.hidden = navigator.onLine !== false;
    el.offlineNote.textContent = navigator.onLine === false ? config.msgOffline : "";
  }
  window.addEventListener("online", function () {
    showConnectivity();
    if (!current) load();
  });
  window.addEventListener("offline", showConnectivity);
  showConnectivity();

  if ("serviceWorker" in navigator && config.swUrl) {
    navigator.serviceWorker.register(config.swUrl, { scope: config.scope }).catch(function () {});
  }

  var installPrompt = null;
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    installPrompt = event;
    if (el.install) el.install.hidden = false;
  });
  if (el.install) {
    el.install.addEventListener("click", function () {
      if (!installPrompt) return;
      el.install.hidden = true;
      installPrompt.prompt();
      installPrompt = null;
    });
  }

  // Keep the screen on while the pass is shown at the till (where supported; never required).
  var wakeLock = null;
  function keepAwake() {
    if (!("wakeLock" in navigator) || document.visibilityState !== "visible" || wakeLock) return;
    navigator.wakeLock.request("screen").then(function (lock) {
      wakeLock = lock;
      lock.addEventListener("release", function () { wakeLock = null; });
    }).catch(function () {});
  }
  document.addEventListener("visibilitychange", keepAwake);
  keepAwake();

  // Logging out on a shared phone: take the pass key and the cached pages with it.
  Array.prototype.forEach.call(document.querySelectorAll('form[action*="/accounts/logout/"]'), function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.cleared) return;
      event.preventDefault();
      var caches = window.caches
        ? window.caches.keys().then(function (names) {
            return Promise.all(names.filter(function (n) { return n.indexOf(CACHE_PREFIX) === 0; }).map(function (n) {
              return window.caches.delete(n);
            }));
          })
        : Promise.resolve();
      var done = function () {
        if (form.dataset.cleared) return;
        form.dataset.cleared = "1";
        form.submit();
      };
      Promise.all([forgetKeys(), caches]).then(done, done);
      setTimeout(done, 1500); // never keep someone from logging out
    });
  });

  load();
})();

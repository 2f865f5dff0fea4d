/*
 * The checkout page, progressively enhanced (it works without this script: the page shows the total when it loads
 * and after "Update the total", and the server checks everything).
 * - "The same for every shop": while ticked only the common choice shows and counts; unticked, each shop's own.
 *   Hidden choices are also disabled, so what is sent is what is seen.
 * - The courier's address and time show only when the courier is chosen somewhere.
 * - The times offered follow the postcode typed: only its courier zone's times (all of them while it is unknown).
 * - The total (goods + delivery − voucher − gift card) is asked from the server as the form changes: the same
 *   arithmetic the order will use (`checkout.quote_order`), returned as the total's fragment.
 */
(function () {
  "use strict";
  const form = document.querySelector("[data-checkout]");
  if (!form) return;
  const sameForAll = form.querySelector("input[name=same_for_all]");
  const common = form.querySelector("[data-fulfilment-all]");
  const perShop = form.querySelector("[data-fulfilment-per-shop]");
  const courier = form.querySelector("[data-courier]");
  const postcode = form.querySelector("input[name=postcode]");
  const slot = form.querySelector("select[name=slot]");
  const total = form.querySelector("[data-checkout-total]");
  const previewButton = form.querySelector("[data-preview-button]");
  const zonesScript = document.getElementById("courier-zones");
  const zones = zonesScript ? JSON.parse(zonesScript.textContent) : [];

  function show(element, visible) {
    if (!element) return;
    element.hidden = !visible;
    element.querySelectorAll("input").forEach(function (input) { input.disabled = !visible; });
  }

  function applySameForAll() {
    if (!sameForAll) return;
    show(common, sameForAll.checked);
    show(perShop, !sameForAll.checked);
  }

  function courierChosen() {
    return Array.prototype.some.call(
      form.querySelectorAll("input[type=radio][value=bike_courier]"),
      function (radio) { return radio.checked && !radio.disabled; }
    );
  }

  function applyCourier() {
    if (courier) courier.hidden = !courierChosen();
  }

  function zoneForPostcode() {
    const digits = (postcode ? postcode.value : "").replace(/\D/g, "").slice(0, 4);
    if (digits.length !== 4) return null;
    return zones.find(function (zone) { return zone.postcodes.indexOf(digits) !== -1; }) || null;
  }

  function applySlots() {
    if (!slot) return;
    const zone = zoneForPostcode();
    slot.querySelectorAll("optgroup").forEach(function (group) {
      let offered = false;
      group.querySelectorAll("option").forEach(function (option) {
        const ok = !zone || option.value.split("@")[0] === String(zone.id);
        option.disabled = !ok;
        option.hidden = !ok;
        offered = offered || ok;
      });
      group.hidden = !offered;
    });
    if (slot.selectedOptions.length && slot.selectedOptions[0].disabled) slot.value = "";
  }

  let asked = 0;
  async function refreshTotal() {
    if (!total) return;
    const mine = ++asked;
    const data = new FormData(form);
    data.set("preview", "1");
    try {
      const response = await fetch(form.dataset.totalUrl, { method: "POST", body: data, credentials: "same-origin" });
      if (!response.ok || mine !== asked) return;
      total.innerHTML = await response.text();
    } catch (error) {
      // Offline for a moment: the total stays as it was, the order is checked by the server anyway.
    }
  }

  let timer;
  function refreshSoon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refreshTotal, 400);
  }

  form.addEventListener("change", function (event) {
    if (event.target === sameForAll) applySameForAll();
    applyCourier();
    if (event.target === postcode) applySlots();
    refreshTotal();
  });
  form.addEventListener("input", function (event) {
    if (event.target === postcode) applySlots();
    if (event.target.type === "text" || event.target.type === "search") refreshSoon();
  });
  form.addEventListener("submit", function (event) {
    // Enter in a field presses the first button, "Update the total": here that only refreshes the total.
    if (event.submitter && event.submitter.name === "preview") {
      event.preventDefault();
      refreshTotal();
    }
  });

  if (previewButton) previewButton.parentElement.hidden = true;  // the total follows the form by itself
  applySameForAll();
  applyCourier();
  applySlots();
})();

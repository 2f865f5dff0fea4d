/*
 * The payment form. With Stripe.js it mounts the Payment Element (iDEAL/Wero, Bancontact, card) and lets
 * Stripe confirm and redirect to the order's page. With localstripe's stand-in (the demo and the browser
 * test), which only offers a card element, the card is tokenised in the browser, confirmed on our server
 * (/shop/pay/<order>/card/), 3-D Secure runs through the stand-in's confirmCardPayment, and the page goes
 * to the order's page itself. The order's page asks the server for the payment's state either way.
 */
(function () {
  "use strict";
  const root = document.querySelector("[data-payment]");
  if (!root) return;
  const form = root.querySelector("form");
  const mountPoint = root.querySelector("[data-payment-element]");
  const errorBox = root.querySelector("[data-payment-error]");
  const button = root.querySelector("[data-payment-submit]");
  const texts = JSON.parse(document.getElementById("payment-texts").textContent);
  const clientSecret = root.dataset.clientSecret;
  const returnUrl = root.dataset.returnUrl;

  function showError(message) {
    errorBox.textContent = message || texts.declined;
    errorBox.hidden = false;
  }

  if (typeof window.Stripe !== "function") {
    showError(texts.unavailable);
    button.disabled = true;
    return;
  }
  const stripe = window.Stripe(root.dataset.stripeKey);
  const isRealStripe = typeof stripe.confirmPayment === "function";
  let elements;
  let card;
  if (isRealStripe) {
    elements = stripe.elements({ clientSecret: clientSecret, locale: document.documentElement.lang || "auto" });
    elements.create("payment").mount(mountPoint);
  } else {
    elements = stripe.elements();
    card = elements.create("card");
    card.mount(mountPoint);
    // The stand-in's inputs only have placeholders: give each a label a screen reader reads out.
    mountPoint.querySelectorAll("input").forEach(function (input) {
      const key = input.getAttribute("placeholder") === "number" ? "card" : input.getAttribute("placeholder");
      input.setAttribute("aria-label", texts[key] || key);
      input.setAttribute("inputmode", "numeric");
    });
  }

  function csrfToken() {
    const field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  async function payWithStandIn() {
    const tokenResult = await stripe.createToken(card);
    if (tokenResult.error || !tokenResult.token) {
      showError(tokenResult.error && tokenResult.error.message);
      return;
    }
    const response = await fetch(root.dataset.cardUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ payment_method: tokenResult.token.card.id, client_secret: clientSecret }),
    });
    const body = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      showError(body.error);
      return;
    }
    if (body.status === "requires_action") {
      const result = await stripe.confirmCardPayment(clientSecret);
      if (result.error || !result.paymentIntent || result.paymentIntent.status !== "succeeded") {
        showError((result.error && result.error.message) || texts.notAuthorised);
        return;
      }
    }
    window.location.assign(returnUrl);
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    errorBox.hidden = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      if (isRealStripe) {
        // Only returns on an error; otherwise Stripe redirects to the order's page (also after iDEAL).
        const result = await stripe.confirmPayment({ elements: elements, confirmParams: { return_url: returnUrl } });
        if (result.error) showError(result.error.message);
      } else {
        await payWithStandIn();
      }
    } catch (error) {
      showError(texts.unavailable);
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  });
})();

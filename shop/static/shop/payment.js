/*
 * The payment form. With Stripe.js it mounts the Payment Element (iDEAL/Wero, Bancontact, card) and lets
 * Stripe confirm and redirect to the order's page. With localstripe's stand-in (the demo and the browser
 * test), which only offers a card element, the card is tokenised in the browser, confirmed on our server
 * (/shop/pay/<order>/card/), 3-D Secure runs through the stand-in's confirmCardPayment, and the page goes
 * to the order's page itself. The order's page asks the server for the payment's state either way.
 *
 * The server call has no language prefix: it gets the page's language, and its answers carry a `code` that is
 * shown in the page's own texts. After a declined card or a 3-D Secure challenge left open, paying again goes on a
 * fresh PaymentIntent: the answer carries the client secret now in use.
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
  let clientSecret = root.dataset.clientSecret;
  const language = document.documentElement.lang || "";
  // The server's answer codes → the page's texts (never the stand-in's or the server's own English).
  const messages = {
    declined: texts.declined,
    not_payable: texts.notPayable,
    stale: texts.stale,
    unavailable: texts.unavailable,
    incomplete: texts.incomplete,
  };
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
      showError(texts.cardInvalid);
      return;
    }
    const response = await fetch(root.dataset.cardUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({
        payment_method: tokenResult.token.card.id,
        client_secret: clientSecret,
        language: language,
      }),
    });
    const body = await response.json().catch(function () { return {}; });
    if (body.client_secret) clientSecret = body.client_secret;  // the intent now in use (a fresh one after a decline)
    if (!response.ok) {
      if (body.code === "not_payable" || body.code === "stale") {
        // Paid, cancelled or expired meanwhile, or a page older than its payment: the order's page says how it is.
        showError(messages[body.code]);
        window.location.assign(returnUrl);
        return;
      }
      showError(messages[body.code] || texts.unavailable);
      return;
    }
    if (body.status === "requires_action") {
      const result = await stripe.confirmCardPayment(clientSecret);
      if (result.error || !result.paymentIntent || result.paymentIntent.status !== "succeeded") {
        showError(texts.notAuthorised);
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

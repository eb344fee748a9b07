/* The shop's checkout script: PayPal popup and Stripe-Elements-style card frame. */
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  if (!form) {
    return;
  }
  var cfg = JSON.parse(document.getElementById("checkout-config").textContent);
  var pay = document.getElementById("pay");
  var error = document.getElementById("payment-error");
  var select = document.getElementById("platform");

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
    pay.disabled = false;
  }

  select.addEventListener("change", function () {
    // each platform needs its own page furniture (a popup button, a card frame): reload
    window.location.href = "/checkout?platform=" + encodeURIComponent(select.value);
  });

  if (cfg.platform === "paypal") {
    window.addEventListener("message", function (event) {
      if (event.origin !== cfg.paypalOrigin || !event.data || event.data.source !== "paypal-lab") {
        return;
      }
      document.getElementById("paypal-overlay").hidden = true;
      if (event.data.status === "approved") {
        window.location.href = cfg.paypalReturn + "?token=" + encodeURIComponent(event.data.token);
      } else {
        showError("The PayPal payment was " + event.data.status + ".");
      }
    });
    form.addEventListener("submit", function (event) {
      // as PayPal's own button does: open the window in the click, then send it the order
      event.preventDefault();
      window.open("about:blank", "paypal_checkout", "popup,width=460,height=640");
      form.target = "paypal_checkout";
      form.submit();
      document.getElementById("paypal-overlay").hidden = false;
    });
  }

  if (cfg.platform === "elements") {
    var frame = document.getElementById("card-element");
    var pending = null;
    window.addEventListener("message", function (event) {
      if (event.origin !== cfg.elementsOrigin || !event.data || event.data.source !== "stripe-lab") {
        return;
      }
      if (event.data.type === "payment_intent.succeeded" && pending) {
        window.location.href = pending.return_url;
      } else if (event.data.type === "payment_intent.failed") {
        showError(event.data.message || "Your card was declined.");
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      pay.disabled = true;
      error.hidden = true;
      fetch("/checkout", {
        method: "POST",
        headers: {"Accept": "application/json"},
        body: new URLSearchParams(new FormData(form))
      }).then(function (response) {
        return response.json();
      }).then(function (data) {
        if (!data.client_secret) {
          throw new Error(data.error || "checkout failed");
        }
        pending = data;
        frame.contentWindow.postMessage(
          {source: "shop", type: "confirmCardPayment", clientSecret: data.client_secret},
          cfg.elementsOrigin
        );
      }).catch(function (err) {
        showError("Could not start the payment: " + err.message);
      });
    });
  }
})();

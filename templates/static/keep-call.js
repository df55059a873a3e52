// Keeps the handler's claim on the call shown while its page is open. A claim is a lease: it
// runs out unless renewed, and an outcome recorded after that is refused, so a long call would
// lose what the handler typed. The page renews it as it opens (it may be reopened late in a
// lease, from another page of the call) and then every third of the lease (the interval comes
// from the server, on the form). Without script, the form's "Keep this call" button does it.
(function () {
  "use strict";
  var form = document.getElementById("renew-form");
  var status = document.getElementById("lease-status");
  var every = form ? Number(form.getAttribute("data-renew-every-seconds")) * 1000 : 0;
  if (!status || !(every > 0) || !window.fetch) {
    return;
  }
  // A failure that may pass (the network, a busy or restarting service) is tried again sooner:
  // the lease still has time left. A refusal (the claim is no longer this handler's, or the
  // hours ended over an hour ago) is final.
  var retry = Math.min(every, 30000);

  function say(text, alarm) {
    status.textContent = text;
    status.setAttribute("role", alarm ? "alert" : "status");
    status.className = alarm ? "field-error" : "";
  }

  function kept(body) {
    var until = new Date(body.lease_expires_at).toLocaleTimeString([], {
      hour: "2-digit",
      minute: "2-digit"
    });
    say("This call stays yours while this page is open (kept until " + until + ").", false);
    window.setTimeout(renew, every);
  }

  function tryAgain() {
    say("This call could not be kept just now (the connection or the service): trying again.", true);
    window.setTimeout(renew, retry);
  }

  function renew() {
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    })
      .then(function (response) {
        var passing = response.status >= 500 || response.status === 429;
        if (passing) {
          tryAgain();
          return;
        }
        return response.json().then(function (body) {
          if (response.ok) {
            kept(body);
          } else {
            say(body.message || "This call could not be kept.", true);
          }
        });
      })
      .catch(tryAgain);
  }

  renew();
})();

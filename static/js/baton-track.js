/*
 * Baton website tracking. Add to every page of the company website:
 *   <script src="https://BATON/static/js/baton-track.js" data-endpoint="https://BATON/nurture/collect/" defer></script>
 * Sends one small beacon per page view with a first-party visitor id. Nothing
 * is sent when the browser asks not to be tracked (Do Not Track, Global
 * Privacy Control), nor, with data-consent="required", before the site sets
 * window.batonConsent = true.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var endpoint = script.getAttribute("data-endpoint");
  var consentRequired = script.getAttribute("data-consent") === "required";
  var COOKIE = "baton_vid";
  var PARAM = "bt_v";

  function refused() {
    return navigator.doNotTrack === "1" || window.doNotTrack === "1" ||
      navigator.globalPrivacyControl === true ||
      (consentRequired && window.batonConsent !== true);
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function visitorId() {
    var match = document.cookie.match(/(?:^|; )baton_vid=([A-Za-z0-9_-]{16,64})/);
    var id = match ? match[1] : randomId();
    // First-party, about 13 months, renewed on every visit.
    document.cookie = COOKIE + "=" + id + "; path=/; max-age=34000000; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
    return id;
  }

  // A tracked email link carries who clicked: send it once, then take it out
  // of the address bar so that a shared link does not carry it further.
  function takeIdentity() {
    var url = new URL(location.href);
    var token = url.searchParams.get(PARAM);
    if (!token) { return ""; }
    url.searchParams.delete(PARAM);
    history.replaceState(history.state, "", url.toString());
    return token;
  }

  // Capture forms posting to Baton carry the visitor id, so that the visits
  // before the submit join the new lead.
  function markCaptureForms(id) {
    var forms = document.querySelectorAll("form[action*='/capture/']");
    Array.prototype.forEach.call(forms, function (form) {
      if (form.querySelector("input[name='visitor_id']")) { return; }
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "visitor_id";
      input.value = id;
      form.appendChild(input);
    });
  }

  function track() {
    if (!endpoint || refused()) { return; }
    var id = visitorId();
    var token = takeIdentity();  // first: the URL sent is without it
    var body = JSON.stringify({
      v: id,
      u: location.href.slice(0, 500),
      t: document.title.slice(0, 200),
      i: token
    });
    // text/plain keeps it a simple request (no preflight); the body is JSON.
    var blob = new Blob([body], { type: "text/plain" });
    if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint, blob))) {
      fetch(endpoint, { method: "POST", body: blob, keepalive: true, mode: "no-cors" });
    }
    markCaptureForms(id);
  }

  window.batonTrack = track;  // for sites that ask for consent first
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", track);
  } else {
    track();
  }
})();

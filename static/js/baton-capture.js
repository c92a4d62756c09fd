/*
 * Baton capture forms: campaign attribution. Add after a form that posts to
 * Baton's /capture/<key>/ (the campaign page's snippet does):
 *   <script src="https://BATON/static/js/baton-capture.js" defer></script>
 * Adds the utm_* parameters of the page's address to every such form, as
 * hidden fields, so that the lead is attributed to the campaign whose link
 * brought the visitor. Parameters seen on the landing page are remembered
 * for the rest of the visit (sessionStorage, this tab only), so a form one
 * page further on still carries them. No cookie, no identifier.
 */
(function () {
  "use strict";
  var NAMES = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  var KEY = "baton_utm";

  function fromAddress() {
    var params = new URLSearchParams(location.search);
    var found = {};
    var any = false;
    NAMES.forEach(function (name) {
      var value = params.get(name);
      if (value) { found[name] = value.slice(0, 200); any = true; }
    });
    return any ? found : null;
  }

  function remembered() {
    try {
      return JSON.parse(sessionStorage.getItem(KEY) || "null");
    } catch (e) {
      return null;  // storage refused (private mode) or not JSON
    }
  }

  function remember(utm) {
    try { sessionStorage.setItem(KEY, JSON.stringify(utm)); } catch (e) { /* not kept */ }
  }

  function mark(utm) {
    var forms = document.querySelectorAll("form[action*='/capture/']");
    Array.prototype.forEach.call(forms, function (form) {
      NAMES.forEach(function (name) {
        if (!utm[name] || form.querySelector("input[name='" + name + "']")) { return; }
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = utm[name];
        form.appendChild(input);
      });
    });
  }

  function run() {
    var utm = fromAddress();
    if (utm) { remember(utm); } else { utm = remembered(); }
    if (utm) { mark(utm); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();

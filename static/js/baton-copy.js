/*
 * Copy buttons: <button data-copy="#target" data-copied="Copied">Copy</button>
 * copies the target's value (an input) or text (a snippet) to the clipboard
 * and says so on the button for a moment. One listener on the document, so
 * buttons that htmx swaps in work too. A static file: the CSP refuses inline
 * scripts.
 */
(function () {
  "use strict";

  function textOf(target) {
    return "value" in target ? target.value : target.textContent;
  }

  function fallbackCopy(target) {
    // Older browsers, or no clipboard permission: select and copy.
    var range = document.createRange();
    if ("select" in target) {
      target.select();
    } else {
      range.selectNodeContents(target);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    return document.execCommand("copy");
  }

  function confirm(button) {
    var label = button.getAttribute("data-copied");
    if (!label) { return; }
    if (!button.hasAttribute("data-label")) {
      button.setAttribute("data-label", button.textContent);
    }
    button.textContent = label;
    window.setTimeout(function () {
      button.textContent = button.getAttribute("data-label");
    }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target) { return; }
    var text = textOf(target);
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        confirm(button);
      }, function () {
        if (fallbackCopy(target)) { confirm(button); }
      });
    } else if (fallbackCopy(target)) {
      confirm(button);
    }
  });
})();

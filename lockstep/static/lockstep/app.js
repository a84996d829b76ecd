// Lockstep's only script of its own: progressive enhancements, no inline handlers (CSP).
(function () {
  "use strict";
  function counters(root) {
    root.querySelectorAll("textarea[data-counter]").forEach(function (field) {
      if (field.dataset.counterReady) return;
      field.dataset.counterReady = "1";
      var max = parseInt(field.dataset.counter, 10);
      var out = document.createElement("span");
      out.className = "counter";
      out.setAttribute("aria-live", "polite");
      field.insertAdjacentElement("afterend", out);
      function update() {
        var left = max - field.value.length;
        out.textContent = left >= 0 ? left + " characters left" : -left + " characters too many";
        out.classList.toggle("over", left < 0);
      }
      field.addEventListener("input", update);
      update();
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    counters(document);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
  document.addEventListener("htmx:afterSwap", function (event) { counters(event.target); });
})();

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
  // A table wider than its frame (a phone) scrolls sideways in it: say so above the table.
  function scrollHints(root) {
    root.querySelectorAll(".table-wrap").forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      var hint = wrap.previousElementSibling;
      if (!hint || !hint.classList.contains("scroll-hint")) {
        if (!scrolls) return;
        hint = document.createElement("p");
        hint.className = "scroll-hint";
        hint.textContent = "Swipe the table sideways to see every column →";
        wrap.insertAdjacentElement("beforebegin", hint);
      }
      wrap.classList.toggle("scrolls", scrolls);
      hint.classList.toggle("shown", scrolls);
    });
  }
  window.addEventListener("resize", function () { scrollHints(document); });
  document.addEventListener("DOMContentLoaded", function () {
    counters(document);
    scrollHints(document);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    counters(event.target);
    scrollHints(event.target.parentElement || document);
  });
})();

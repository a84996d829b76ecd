// Pickers for big organizations (issue 15): a filter box over long team lists, and fields
// shown only for the role they belong to. Progressive enhancement: without this script
// every option stays visible and the server ignores what does not apply. No inline
// handlers or styles (CSP): elements are hidden with the `hidden` attribute.
(function () {
  "use strict";
  var MIN_OPTIONS = 8; // shorter lists need no filter box
  var counter = 0;

  function norm(text) {
    return (text || "").replace(/\u00a0/g, " ").trim().toLowerCase();
  }

  // The items a filter box narrows: <option>s of a <select>, the rows of a checkbox list,
  // or the [data-filter-item] rows of a [data-filter-list] block.
  function itemsOf(target) {
    if (target.tagName === "SELECT") {
      return Array.prototype.filter.call(target.options, function (o) { return o.value !== ""; });
    }
    var marked = target.querySelectorAll("[data-filter-item]");
    if (marked.length) return Array.prototype.slice.call(marked);
    return Array.prototype.map.call(target.querySelectorAll("input[type=checkbox]"), function (box) {
      return box.closest("div") || box.parentElement;
    });
  }

  function addFilter(target) {
    if (target.dataset.filterReady) return;
    target.dataset.filterReady = "1";
    var items = itemsOf(target);
    if (items.length < MIN_OPTIONS) return;
    counter += 1;
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-filter";
    box.id = "picker-filter-" + counter;
    var what = (target.dataset.filter || target.dataset.filterList) === "zones" ? "time zones" : "teams";
    box.setAttribute("aria-label", "Filter the " + what + " by name");
    box.placeholder = "Filter " + what + "…";
    box.autocomplete = "off";
    if (target.id) box.setAttribute("aria-controls", target.id);
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    target.insertAdjacentElement("beforebegin", box);
    box.insertAdjacentElement("afterend", status);
    box.addEventListener("input", function () {
      var words = norm(box.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (item) {
        var text = norm(item.textContent);
        var keep = item.selected || words.every(function (w) { return text.indexOf(w) !== -1; });
        var checked = item.querySelector && item.querySelector("input:checked");
        if (checked) keep = true; // never hide what is chosen
        item.hidden = !keep;
        if (keep) shown += 1;
      });
      status.textContent = words.length ? shown + " of " + items.length + " " + what + " shown" : "";
    });
    // Enter in the filter box must not submit the form.
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
  }

  // A field shown only for one role: [data-show-for-role="sales_leader"] inside a form
  // with a role <select>; its whole .field wrapper is hidden for other roles.
  function roleToggles(root) {
    root.querySelectorAll("[data-show-for-role]").forEach(function (el) {
      if (el.dataset.roleReady) return;
      el.dataset.roleReady = "1";
      var form = el.closest("form");
      var role = form && form.querySelector("select[name$=role]");
      if (!role) return;
      var wrapper = el.closest(".field") || el;
      function update() { wrapper.hidden = role.value !== el.dataset.showForRole; }
      role.addEventListener("change", update);
      update();
    });
  }

  function enhance(root) {
    root.querySelectorAll("[data-filter]").forEach(addFilter);
    root.querySelectorAll("[data-filter-list]").forEach(addFilter);
    roleToggles(root);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.target); });
})();

// Draws every chart on the page (docs/architecture.md, "Charts"). A chart is
// <canvas data-chart="ID" data-format="percent|hours|money|score|number"> with its Chart.js
// configuration in <script type="application/json" id="ID"> (data, never code: the CSP
// allows no inline script). Canvases that htmx swaps in later are drawn too. Chart.js
// itself (vendored) is fetched only by pages that have a chart.
(function () {
  "use strict";
  var script = document.currentScript;
  var SOURCE = script && script.getAttribute("data-chartjs");
  var waiting = [];
  var loading = false;

  function withChart(callback) {
    if (typeof Chart !== "undefined") { callback(); return; }
    waiting.push(callback);
    if (loading || !SOURCE) return;
    loading = true;
    var tag = document.createElement("script");
    tag.src = SOURCE;
    tag.onload = function () { var queue = waiting; waiting = []; queue.forEach(function (f) { f(); }); };
    document.head.appendChild(tag);
  }
  // Okabe–Ito: distinguishable with every common colour-vision deficiency.
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
  var INK = "#1c2430", GRID = "#e6e9ef";

  function format(kind, value) {
    if (value === null || value === undefined || isNaN(value)) return "—";
    var n = Number(value);
    switch (kind) {
      case "percent": return Math.round(n) + "%";
      case "score": return String(Math.round(n));
      case "hours": return (Math.round(n * 10) / 10).toLocaleString() + " h";
      case "money": return n.toLocaleString(undefined, { maximumFractionDigits: 0 });
      default: return n.toLocaleString(undefined, { maximumFractionDigits: 1 });
    }
  }

  var ready = false;
  function setUp() {
    if (ready || typeof Chart === "undefined") return ready;
    ready = true;
    var d = Chart.defaults;
    d.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
    d.font.size = 13;
    d.color = INK;
    d.borderColor = GRID;
    d.responsive = true;
    d.maintainAspectRatio = false;
    d.plugins.legend.labels.usePointStyle = true;
    d.plugins.tooltip.mode = "index";
    d.plugins.tooltip.intersect = false;
    if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
      d.animation = false;
      d.transitions.active.animation.duration = 0;
    }
    return ready;
  }

  function applyFormat(config, kind) {
    var options = config.options = config.options || {};
    var horizontal = options.indexAxis === "y";
    var valueAxis = horizontal ? "x" : "y";
    options.scales = options.scales || {};
    if (config.type !== "pie" && config.type !== "doughnut") {
      var scale = options.scales[valueAxis] = options.scales[valueAxis] || {};
      scale.ticks = scale.ticks || {};
      scale.ticks.callback = function (v) { return format(kind, v); };
      if (kind === "score" || kind === "percent") scale.ticks.precision = 0;
    }
    // long category labels (team and program names) are shortened; the tooltip keeps them whole
    var category = options.scales[horizontal ? "y" : "x"] = options.scales[horizontal ? "y" : "x"] || {};
    category.ticks = category.ticks || {};
    category.ticks.callback = function (value) {
      var label = this.getLabelForValue(value);
      var max = this.chart.width < 480 ? 16 : 30;
      return typeof label === "string" && label.length > max ? label.slice(0, max - 1) + "…" : label;
    };
    var whole = (config.data.datasets || []).every(function (set) {
      return (set.data || []).every(function (v) { return v === null || Number.isInteger(v); });
    });
    if (whole && config.type !== "pie" && config.type !== "doughnut") {
      var values = options.scales[valueAxis];
      values.ticks.precision = 0;
    }
    options.plugins = options.plugins || {};
    var tooltip = options.plugins.tooltip = options.plugins.tooltip || {};
    tooltip.callbacks = {
      label: function (ctx) {
        var v = horizontal ? ctx.parsed.x : ctx.parsed.y;
        return (ctx.dataset.label ? ctx.dataset.label + ": " : "") + format(kind, v);
      }
    };
  }

  function colour(config) {
    (config.data.datasets || []).forEach(function (set, i) {
      var c = PALETTE[i % PALETTE.length];
      if (!set.backgroundColor) set.backgroundColor = c;
      if (!set.borderColor) set.borderColor = set.backgroundColor;
    });
  }

  function draw(canvas) {
    if (canvas.dataset.drawn || !setUp()) return;
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var config;
    try { config = JSON.parse(source.textContent); } catch (e) { return; }
    canvas.dataset.drawn = "1";
    colour(config);
    applyFormat(config, canvas.dataset.format || "number");
    var rows = parseInt(canvas.dataset.rows || "0", 10);
    if (rows > 0 && canvas.parentElement) {
      // horizontal bars: tall enough for every label (CSSOM, allowed by the CSP)
      canvas.parentElement.style.height = Math.max(140, 44 + rows * 30) + "px";
    }
    new Chart(canvas, config);
  }

  function drawAll(root) {
    if (!root || !root.querySelectorAll) return;
    var found = Array.prototype.slice.call(root.querySelectorAll("canvas[data-chart]"));
    if (root.matches && root.matches("canvas[data-chart]")) found.push(root);
    if (!found.length) return;
    withChart(function () { found.forEach(draw); });
  }

  function resizeAll() {
    if (typeof Chart === "undefined") return;
    Object.keys(Chart.instances).forEach(function (key) { Chart.instances[key].resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:load", function (event) { drawAll(event.detail.elt); });
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();

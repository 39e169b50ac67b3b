// The rules of core.metrics.units.format_in, for the unit names chart data carries: decimal
// sizes (1 MB = 1,000,000 B), ms with a thousands separator, "—" when missing. Every chart
// script formats its values with window.perfiteUnits.fmt(unit).
(function () {
  "use strict";
  var SIZES = [[1e9, "GB"], [1e6, "MB"], [1e3, "kB"]];
  function grouped(v, digits) {
    return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function fmt(unit) {
    return function (u, v) {
      if (v == null) { return "\u2014"; }
      var sign = v < 0 ? "-" : "", m = Math.abs(v);
      if (unit === "ms") { return sign + grouped(m, 0) + " ms"; }
      if (unit === "bytes") {
        for (var i = 0; i < SIZES.length; i++) {
          if (m >= SIZES[i][0]) { return sign + grouped(m / SIZES[i][0], 1) + " " + SIZES[i][1]; }
        }
        return sign + grouped(m, 0) + " B";
      }
      if (unit === "score") { return sign + m.toFixed(3); }
      if (unit === "percent") { return sign + grouped(m, 1) + "%"; }
      if (m === Math.floor(m)) { return sign + grouped(m, 0); }
      if (unit === "number") {
        // A page's or a backend's own number: up to three decimals, trailing zeros dropped.
        return sign + m.toLocaleString("en-US", { maximumFractionDigits: 3 });
      }
      return sign + grouped(m, 1);
    };
  }
  window.perfiteUnits = { fmt: fmt };
})();

// Scenario page: one uPlot chart per metric and per named metric picked (one series per
// location), stacked party charts, release markers, click-to-open-run, and range switching
// without a page reload.
(function () {
  "use strict";
  var root = document.getElementById("charts");
  if (!root || !window.uPlot) { return; }
  var COLORS = ["#2f6fdb", "#d9822b", "#1a7f37", "#7a3dbf", "#b42318", "#0f8b8d"];
  var charts = [];

  var fmt = window.perfiteUnits.fmt;  // units.js

  function releasePlugin(releases) {
    return { hooks: { draw: function (u) {
      var ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = "#b42318";
      ctx.setLineDash([4, 4]);
      releases.forEach(function (r) {
        var x = u.valToPos(r.t, "x", true);
        if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) { return; }
        ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
      });
      ctx.restore();
    } } };
  }

  function openRunOnClick(u, runs) {
    u.over.addEventListener("click", function () {
      var idx = u.cursor.idx;
      if (idx == null || !runs) { return; }
      // Prefer the series under focus, then any location with a run in that bucket.
      var order = [];
      u.series.forEach(function (s, i) { if (i > 0 && s._focus) { order.push(i - 1); } });
      runs.forEach(function (_, i) { order.push(i); });
      for (var k = 0; k < order.length; k++) {
        var id = runs[order[k]] && runs[order[k]][idx];
        if (id) { window.location.href = root.dataset.runUrl.replace(/0\/$/, id + "/"); return; }
      }
    });
    u.over.style.cursor = "pointer";
  }

  // uPlot draws a series' points only where they are sparse along the whole axis, so a value
  // with gaps on both sides (a named metric measured in one bucket) would draw nothing:
  // draw those points always.
  function isolated(u, si, shown) {
    if (shown) { return null; }
    var ys = u.data[si], idxs = [];
    for (var i = 0; i < ys.length; i++) {
      if (ys[i] != null && (i === 0 || ys[i - 1] == null) && (i === ys.length - 1 || ys[i + 1] == null)) {
        idxs.push(i);
      }
    }
    return idxs.length ? idxs : null;
  }

  function size(el) { return { width: Math.max(el.clientWidth - 8, 300), height: 180 }; }

  function render(data) {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    root.querySelectorAll("figure.chart").forEach(function (fig) {
      var plot = fig.querySelector(".plot");
      var unit = data.units[fig.dataset.metric || fig.dataset.party];
      var series = [{}];
      var columns = [data.x];
      var runs = null;
      if (fig.dataset.metric) {
        var perLoc = data.metrics[fig.dataset.metric] || [];
        perLoc.forEach(function (values, i) {
          series.push({ label: data.locations[i], stroke: COLORS[i % COLORS.length], width: 1.5,
                        spanGaps: false, value: fmt(unit), points: { size: 4, filter: isolated } });
          columns.push(values);
        });
        runs = data.runs;
      } else {
        var party = data[fig.dataset.party];
        var first = party.first, third = party.third;
        var total = first.map(function (v, i) {
          return v == null && third[i] == null ? null : (v || 0) + (third[i] || 0);
        });
        series.push({ label: "first + third", stroke: "#d9822b", fill: "rgba(217,130,43,0.35)", value: fmt(unit) });
        series.push({ label: "first", stroke: "#2f6fdb", fill: "rgba(47,111,219,0.45)", value: fmt(unit) });
        columns.push(total, first);
      }
      var scales = { x: { time: true, range: function () { return [data.start, data.end]; } } };
      if (!fig.dataset.metric) {
        // Stacked areas read from zero.
        scales.y = { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } };
      }
      var opts = Object.assign(size(plot), {
        series: series,
        scales: scales,
        axes: [{}, { values: function (u, vals) { return vals.map(function (v) { return fmt(unit)(u, v); }); }, size: 70 }],
        legend: { live: true },
        cursor: { focus: { prox: 30 } },
        plugins: [releasePlugin(data.releases || [])],
      });
      var chart = new uPlot(opts, columns, plot);
      if (runs) { openRunOnClick(chart, runs); }
      charts.push(chart);
    });
    root.dataset.range = data.range;
  }

  // The page's query with another range: the named metrics picked (``chart``) stay.
  function withRange(range) {
    var params = new URLSearchParams(window.location.search);
    params.set("range", range);
    return params.toString();
  }

  function select(range) {
    var picked = document.querySelector("#chart-picker input[name=range]");
    if (picked) { picked.value = range; }
    document.querySelectorAll(".ranges a").forEach(function (a) {
      if (a.dataset.range === range) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); }
    });
  }

  document.querySelectorAll(".ranges a").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      ev.preventDefault();
      var range = a.dataset.range;
      var tables = document.getElementById("tables");
      fetch(tables.dataset.tablesUrl + "?fragment=tables&range=" + encodeURIComponent(range) +
            "&browser=" + encodeURIComponent(tables.dataset.browser) +
            "&profile=" + encodeURIComponent(tables.dataset.profile),
            { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          // Server-rendered and escaped by Django, like the rest of the page.
          tables.innerHTML = html;
        })
        .catch(function () { window.location.href = a.href; });
      fetch(root.dataset.seriesUrl + "?" + withRange(range), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          render(data);
          select(range);
          history.replaceState(null, "", "?" + withRange(range));
        })
        .catch(function () { window.location.href = a.href; });
    });
  });

  render(JSON.parse(document.getElementById("chart-data").textContent));
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.setSize(size(c.root.parentNode)); });
  });
})();

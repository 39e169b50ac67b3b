// Load test page: the degradation curve (the chosen metric's median and p95 per number of
// users, its limit, the earlier load test's value) and the agents' CPU beside the error rate;
// while the test runs, the stage table and the curves are fetched again every two seconds.
(function () {
  "use strict";
  var root = document.getElementById("load-charts");
  var live = document.getElementById("load-live");
  if (!root || !window.uPlot) { return; }
  var fmt = window.perfiteUnits.fmt;  // units.js
  var charts = [];
  var EVERY_MS = 2000;

  function size(el) { return { width: Math.max(el.clientWidth - 8, 300), height: 220 }; }

  function limitPlugin(limit) {
    return { hooks: { draw: function (u) {
      if (limit == null) { return; }
      var y = u.valToPos(limit, "y", true), ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = "#b42318";
      ctx.setLineDash([6, 4]);
      ctx.beginPath(); ctx.moveTo(u.bbox.left, y); ctx.lineTo(u.bbox.left + u.bbox.width, y); ctx.stroke();
      ctx.restore();
    } } };
  }

  function usersAxis() {
    return { label: "virtual users", values: function (u, vals) { return vals.map(function (v) { return v === Math.floor(v) ? String(v) : ""; }); } };
  }

  function render(data) {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    var x = { time: false };
    var metricPlot = root.querySelector('[data-chart="metric"] .plot');
    var series = [{ label: "users" },
      { label: "median", stroke: "#2f6fdb", width: 2, value: fmt(data.unit), points: { size: 6 } },
      { label: "p95", stroke: "#d9822b", width: 2, value: fmt(data.unit), points: { size: 6 } }];
    var columns = [data.users, data.median, data.p95];
    if (data.earlier) {
      series.push({ label: data.statistic + " of #" + data.earlier_id, stroke: "#7a3dbf", dash: [2, 4], value: fmt(data.unit), points: { size: 5 } });
      columns.push(data.earlier);
    }
    var top = Math.max.apply(null, columns.slice(1).reduce(function (all, c) { return all.concat(c.filter(function (v) { return v != null; })); }, [data.limit || 0, 1]));
    charts.push(new uPlot(Object.assign(size(metricPlot), {
      series: series,
      scales: { x: x, y: { range: function () { return [0, top * 1.1]; } } },
      axes: [usersAxis(), { values: function (u, vals) { return vals.map(function (v) { return fmt(data.unit)(u, v); }); }, size: 70 }],
      plugins: [limitPlugin(data.limit)],
    }), columns, metricPlot));
    var agentPlot = root.querySelector('[data-chart="agents"] .plot');
    charts.push(new uPlot(Object.assign(size(agentPlot), {
      series: [{ label: "users" },
        { label: "agent CPU", stroke: "#0f8b8d", width: 2, value: fmt("percent"), points: { size: 6 } },
        { label: "error rate", stroke: "#b42318", width: 2, value: fmt("percent"), points: { size: 6 } }],
      scales: { x: x, y: { range: function () { return [0, 100]; } } },
      axes: [usersAxis(), { values: function (u, vals) { return vals.map(function (v) { return fmt("percent")(u, v); }); }, size: 60 }],
    }), [data.users, data.cpu, data.errors], agentPlot));
  }

  function running() {
    var stages = document.getElementById("load-stages");
    return stages && (stages.dataset.status === "queued" || stages.dataset.status === "running");
  }

  function refresh() {
    if (!running()) { return; }
    fetch(live.dataset.fragmentUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        // Server-rendered and escaped by Django, like the rest of the page.
        live.innerHTML = html;
        return fetch(live.dataset.chartUrl, { credentials: "same-origin" });
      })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) { render(data); })
      .catch(function () { /* the next refresh tries again */ })
      .then(function () { window.setTimeout(refresh, EVERY_MS); });
  }

  render(JSON.parse(document.getElementById("load-chart").textContent));
  window.setTimeout(refresh, EVERY_MS);
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.setSize(size(c.root.parentNode)); });
  });
})();

// Run and compare pages: filter waterfall rows by party and host; poll an unfinished run.
(function () {
  "use strict";
  document.querySelectorAll("[data-waterfall]").forEach(function (wf) {
    var selects = wf.querySelectorAll("select[data-filter]");
    var rows = wf.querySelectorAll("tr.wf-row");
    var count = wf.querySelector(".wf-count");
    function apply() {
      var want = {};
      selects.forEach(function (s) { want[s.dataset.filter] = s.value; });
      var shown = 0;
      rows.forEach(function (row) {
        var ok = (!want.party || row.dataset.party === want.party) &&
                 (!want.host || row.dataset.host === want.host);
        row.hidden = !ok;
        if (ok) { shown += 1; }
      });
      count.textContent = shown + " of " + rows.length + " requests";
    }
    selects.forEach(function (s) { s.addEventListener("change", apply); });
  });
  var status = document.getElementById("run-status");
  if (status && status.dataset.finished === "0") {
    var poll = function () {
      fetch(status.dataset.statusUrl, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 1000);
  }
})();

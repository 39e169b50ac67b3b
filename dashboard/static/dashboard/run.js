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
  // A queued run shows "running" once an agent claims it, and the full page once it ends.
  var status = document.getElementById("run-status");
  if (status && status.dataset.finished === "0") {
    var label = status.querySelector(".status");
    var hint = document.getElementById("run-hint");
    var poll = function () {
      fetch(status.dataset.statusUrl, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.finished) { window.location.reload(); return; }
          if (label && label.textContent !== data.status) {
            label.textContent = data.status;
            label.className = "status " + data.status;
            if (hint) { hint.textContent = "This run is " + data.status + "; the page refreshes when it finishes."; }
          }
          setTimeout(poll, 1000);
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 1000);
  }
})();

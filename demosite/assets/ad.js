// Third-party ad script, loaded synchronously in <head> so it blocks rendering.
(function () {
  "use strict";
  var busy = ${busy};
  // Like a real ad filling its slot after the page has loaded: busy-wait on the main thread
  // for `busy` ms just after the load event, so long tasks and TBT can be provoked on purpose.
  function spin() {
    var end = performance.now() + busy;
    while (performance.now() < end) {
      // spin
    }
    document.documentElement.setAttribute("data-ads", "rendered");
  }
  window.__demoAds = { busy: busy };
  document.documentElement.setAttribute("data-ads", "loaded");
  if (busy > 0) {
    window.addEventListener("load", function () { setTimeout(spin, 0); });
  }
})();
${pad}

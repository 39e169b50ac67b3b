// Third-party tracker, loaded async; sends one beacon after the window load event.
(function () {
  "use strict";
  var script = document.currentScript;
  var collect = new URL("/collect", script ? script.src : location.href).href;
  function send() {
    // A task after the load event, so the beacon never counts towards load.
    setTimeout(function () {
      window.__demoBeacon = navigator.sendBeacon(collect, "x") ? "sent" : "refused";
    }, 0);
  }
  if (document.readyState === "complete") {
    send();
  } else {
    window.addEventListener("load", send);
  }
})();
${pad}

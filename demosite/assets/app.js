// First-party application script, at the end of <body>.
// On the search page it drives the journey: fetch /api/search, render #results, and keep a
// WebSocket to /ws that is greeted with "hello" and told about every search.
(function () {
  "use strict";
  var state = (window.__demo = { wsMessages: [], searches: 0, results: 0 });
  document.documentElement.setAttribute("data-app", "loaded");

  var button = document.getElementById("search");
  if (!button) {
    return;
  }
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var results = document.getElementById("results");
  var apiDelay = new URLSearchParams(location.search).get("api_delay");
  var socket = null;
  var pending = [];

  function openSocket() {
    socket = new WebSocket("ws://" + location.host + "/ws");
    socket.addEventListener("open", function () {
      socket.send("hello");
      while (pending.length) {
        socket.send(pending.shift());
      }
    });
    socket.addEventListener("message", function (event) {
      state.wsMessages.push(event.data);
    });
  }

  function tell(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(message);
    } else {
      pending.push(message);
    }
  }

  function render(data) {
    results.textContent = "";
    data.results.forEach(function (item) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.title;
      li.appendChild(link);
      results.appendChild(li);
    });
    state.results = data.results.length;
    results.setAttribute("data-count", String(data.results.length));
    results.setAttribute("data-state", "done");
  }

  function search() {
    var q = input.value;
    var url = "/api/search?q=" + encodeURIComponent(q);
    if (apiDelay) {
      url += "&delay=" + encodeURIComponent(apiDelay);
    }
    state.searches += 1;
    results.setAttribute("data-state", "loading");
    tell("search:" + q);
    fetch(url, { cache: "no-store" })
      .then(function (response) {
        return response.json();
      })
      .then(render)
      .catch(function () {
        results.setAttribute("data-state", "error");
      });
  }

  button.addEventListener("click", search);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    search();
  });
  if (document.readyState === "complete") {
    openSocket();
  } else {
    window.addEventListener("load", openSocket);
  }
})();
${pad}

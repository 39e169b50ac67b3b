// Perfite's in-page collector: installed before any page script runs, in every document.
// It observes paints, LCP, layout shifts, long tasks, long animation frames (for script
// attribution) and the page's user timings (performance.mark and measure), and wraps
// WebSocket to time connects and frames. The agent reads window.__perfite.snapshot() at step
// boundaries; socket events go to the exposed binding window.__perfiteReport at once, so
// they survive navigations.
(() => {
  if (window.top !== window || window.__perfite) return;
  const origin = performance.timeOrigin;
  const MAX_TIMINGS = 200; // user timings kept per document: a page marking in a loop stays small
  const MAX_TEXT = 200; // characters of a page's name or a frame's text the agent is given
  const state = { fcp: null, lcp: null, cls: 0, longTasks: [], scripts: [], userTimings: [] };
  const seenTimings = new Set();
  // Observed as they are made, so a page clearing its marks (clearMarks) does not lose them;
  // the snapshot adds those the observer has not delivered yet.
  const keepTiming = (e) => {
    const key = e.entryType + "|" + e.startTime + "|" + e.duration + "|" + e.name;
    if (state.userTimings.length >= MAX_TIMINGS || seenTimings.has(key)) return;
    seenTimings.add(key);
    state.userTimings.push({
      name: String(e.name).slice(0, MAX_TEXT), entryType: e.entryType,
      startTime: e.startTime, duration: e.duration,
    });
  };
  const report = (kind, data) => {
    try { if (window.__perfiteReport) window.__perfiteReport(kind, data); } catch (e) { /* page closing */ }
  };
  const describe = (el) => {
    if (!el || !el.tagName) return null;
    let text = el.tagName;
    if (el.id) text += "#" + el.id;
    else if (el.classList && el.classList.length) text += "." + Array.from(el.classList).slice(0, 2).join(".");
    return text;
  };
  const observe = (type, onEntry) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(onEntry)).observe({ type, buffered: true });
    } catch (e) { /* entry type not supported by this browser */ }
  };
  observe("paint", (e) => { if (e.name === "first-contentful-paint") state.fcp = e.startTime; });
  observe("largest-contentful-paint", (e) => {
    state.lcp = { t: e.renderTime || e.loadTime || e.startTime, element: describe(e.element), url: e.url || null };
  });
  observe("layout-shift", (e) => { if (!e.hadRecentInput) state.cls += e.value; });
  observe("longtask", (e) => state.longTasks.push({ start: e.startTime, duration: e.duration }));
  observe("mark", keepTiming);
  observe("measure", keepTiming);
  observe("long-animation-frame", (e) => {
    for (const s of e.scripts || []) {
      state.scripts.push({ start: s.startTime, duration: s.duration, url: s.sourceURL || "" });
    }
  });

  const bytes = (data) => {
    if (typeof data === "string") return new Blob([data]).size;
    if (data && data.byteLength !== undefined) return data.byteLength;
    if (data && data.size !== undefined) return data.size;
    return 0;
  };
  const NativeSocket = window.WebSocket;
  if (NativeSocket) {
    const Wrapped = function (url, protocols) {
      const ws = protocols === undefined ? new NativeSocket(url) : new NativeSocket(url, protocols);
      const id = Math.random().toString(36).slice(2);
      const now = () => origin + performance.now();
      report("ws", { id, event: "created", url: ws.url, t: now() });
      ws.addEventListener("open", () => report("ws", { id, event: "open", t: now() }));
      // A text frame's first characters let the agent tell replies apart; they are matched,
      // never stored.
      ws.addEventListener("message", (ev) => report("ws", {
        id, event: "received", t: now(), bytes: bytes(ev.data),
        preview: typeof ev.data === "string" ? ev.data.slice(0, MAX_TEXT) : null,
      }));
      ws.addEventListener("close", () => report("ws", { id, event: "close", t: now() }));
      const send = ws.send;
      ws.send = function (data) {
        report("ws", { id, event: "sent", t: now(), bytes: bytes(data) });
        return send.call(ws, data);
      };
      return ws;
    };
    Wrapped.prototype = NativeSocket.prototype;
    for (const k of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Wrapped[k] = NativeSocket[k];
    window.WebSocket = Wrapped;
  }

  window.__perfite = {
    snapshot() {
      const nav = performance.getEntriesByType("navigation")[0];
      const resources = performance.getEntriesByType("resource").map((r) => ({
        name: r.name, startTime: r.startTime, duration: r.duration, transferSize: r.transferSize,
        encodedBodySize: r.encodedBodySize, decodedBodySize: r.decodedBodySize,
        renderBlockingStatus: r.renderBlockingStatus, initiatorType: r.initiatorType,
      }));
      performance.getEntriesByType("mark").forEach(keepTiming);
      performance.getEntriesByType("measure").forEach(keepTiming);
      return {
        url: location.href, timeOrigin: origin, nav: nav ? nav.toJSON() : null,
        fcp: state.fcp, lcp: state.lcp, cls: Math.round(state.cls * 10000) / 10000,
        longTasks: state.longTasks, scripts: state.scripts, resources,
        userTimings: state.userTimings,
      };
    },
  };
})();

// Perfite's watches for a measured step that ends on a page (README, "Actors"): installed on
// demand in the pages a measure starts and stops on, so a run without such steps pays nothing.
// Times are the page's own, on the epoch clock (performance.timeOrigin + the page's time):
// - input(id): the time of the page's next input event that a page acts on (a click, a key
//   going down, typed text, a change, a form sent), as the browser stamped the event: the
//   action that starts the step (a click's, not the press before it: how long a button is
//   held is the hand's, or the automation's, not the page's);
// - until(id, kind, arg): the first moment the page holds one more element matching the CSS
//   selector arg (kind "selector"), or one more occurrence of the text arg (kind "text"), than
//   when it was asked, seen by a MutationObserver in the task that changed the page;
// - result(id): {t} once seen, {error} when the watch cannot work, null while waiting, and
//   {gone: true} when this document never had the watch (the page navigated away).
// Evaluated with a command ({call, args}): installs the watches in the page when they are
// not there yet, then calls one, in a single round trip.
(command) => {
  if (!window.__perfiteWatch) install();
  return window.__perfiteWatch[command.call](...command.args);

  function install() {
    const now = () => performance.timeOrigin + performance.now();
    const watches = new Map();
    const INPUTS = ["click", "keydown", "input", "change", "submit"];
    const occurrences = (text, part) => {
      let count = 0;
      for (let at = text.indexOf(part); at !== -1; at = text.indexOf(part, at + part.length)) count++;
      return count;
    };
    window.__perfiteWatch = {
      input(id) {
        const watch = { t: null };
        watches.set(id, watch);
        const seen = (event) => {
          if (watch.t === null) {
            watch.t = event.timeStamp > 0 ? performance.timeOrigin + event.timeStamp : now();
          }
          INPUTS.forEach((type) => window.removeEventListener(type, seen, true));
        };
        INPUTS.forEach((type) => window.addEventListener(type, seen, true));
      },
      until(id, kind, arg) {
        const watch = { t: null, error: null };
        watches.set(id, watch);
        const count = kind === "selector"
          ? () => document.querySelectorAll(arg).length
          : () => occurrences(document.documentElement ? document.documentElement.textContent : "", arg);
        let before;
        try {
          before = count();
        } catch (e) {
          watch.error = String((e && e.message) || e).slice(0, 200);
          return;
        }
        const observer = new MutationObserver(() => {
          if (watch.t === null && count() > before) {
            watch.t = now();
            observer.disconnect();
          }
        });
        observer.observe(document, {
          childList: true, subtree: true, characterData: true, attributes: kind === "selector",
        });
      },
      result(id) {
        const watch = watches.get(id);
        if (!watch) return { gone: true };
        if (watch.error) return { error: watch.error };
        return watch.t === null ? null : { t: watch.t };
      },
    };
  }
}

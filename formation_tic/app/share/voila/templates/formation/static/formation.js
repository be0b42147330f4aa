/* formation-tic learner app: what the kernel cannot do in the page (it runs no script here).
 *
 * The kernel only writes widgets and CSS classes; this script (same origin, no CDN, no eval)
 * turns a few classes into focus moves and ARIA attributes:
 *
 * - each page is a new box ``.ftic-page.ftic-page-N`` (formation_tic/app/shell.py). When the
 *   heading (h1) of a page numbered higher than the last one handled appears, the window
 *   scrolls to the top and the heading takes the focus (tabindex="-1"), described by the
 *   page's note (#ftic-page-note, hidden): announced once, not through a live region.
 * - ``ftic-focus-N`` on a widget (scenarios/quiz.py: the feedback on an answer or a decision,
 *   or the next decision): when N is higher than the last one handled, its content takes the
 *   focus (tabindex="-1", scrolled into view). The button pressed is disabled or gone by then;
 *   the feedback is read once (it is no live region then), and Tab goes on to the next control.
 * - ``ftic-labelledby--ID`` on a widget: its group gets aria-labelledby="ID", with
 *   role="radiogroup" (``ftic-radiogroup``: its radios also share one name, so the browser
 *   gives one tab stop and arrow-key movement) or role="group" (``ftic-group``).
 * - ``ftic-invalid`` and ``ftic-describedby--ID`` on a field: its input gets
 *   aria-invalid="true" and aria-describedby="ID" (removed with the classes).
 * - a link ``a[data-ftic-focus="KEY"]`` moves the focus to the input of the first widget of
 *   class ``ftic-field--KEY`` that is marked invalid (or the first one).
 */
(function () {
  "use strict";
  var handled = 0;
  var focused = 0;

  function numbered(el, pattern) {
    for (var i = 0; i < el.classList.length; i++) {
      var m = pattern.exec(el.classList[i]);
      if (m) return parseInt(m[1], 10);
    }
    return 0;
  }

  function pageNumber(box) {
    return numbered(box, /^ftic-page-(\d+)$/);
  }

  function suffix(el, prefix) {
    for (var i = 0; i < el.classList.length; i++) {
      var c = el.classList[i];
      if (c.indexOf(prefix) === 0) return c.slice(prefix.length);
    }
    return null;
  }

  function focusHeading() {
    var boxes = document.querySelectorAll(".ftic-page");
    var box = null;
    var n = 0;
    for (var i = 0; i < boxes.length; i++) {
      var k = pageNumber(boxes[i]);
      if (k > n) { n = k; box = boxes[i]; }
    }
    if (box === null || n <= handled) return;
    var heading = box.querySelector("h1");
    if (heading === null || heading.getClientRects().length === 0) return; // not shown yet
    heading.setAttribute("tabindex", "-1");
    var note = document.getElementById("ftic-page-note");
    if (note !== null && note.textContent.trim() !== "") {
      heading.setAttribute("aria-describedby", "ftic-page-note");
    } else {
      heading.removeAttribute("aria-describedby");
    }
    heading.focus({ preventScroll: true });
    if (document.activeElement !== heading) return; // try again on the next change
    handled = n;
    window.scrollTo(0, 0);
  }

  function focusFeedback(root) {
    var marked = root.querySelectorAll("[class*='ftic-focus-']");
    var box = null;
    var n = 0;
    for (var i = 0; i < marked.length; i++) {
      var k = numbered(marked[i], /^ftic-focus-(\d+)$/);
      if (k > n) { n = k; box = marked[i]; }
    }
    if (box === null || n <= focused) return;
    var target = box.querySelector(".widget-html-content") || box;
    if (target.textContent.trim() === "" || target.getClientRects().length === 0) return; // not shown yet
    target.setAttribute("tabindex", "-1");
    target.focus();
    if (document.activeElement !== target) return; // try again on the next change
    focused = n;
  }

  function setAttr(el, name, value) {
    if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  }

  function labelGroups(root) {
    var groups = root.querySelectorAll("[class*='ftic-labelledby--']");
    for (var i = 0; i < groups.length; i++) {
      var el = groups[i];
      var id = suffix(el, "ftic-labelledby--");
      var radios = el.querySelector(".widget-radio-box");
      var target = radios !== null ? radios : el;
      setAttr(target, "aria-labelledby", id);
      if (el.classList.contains("ftic-radiogroup")) {
        setAttr(target, "role", "radiogroup");
        var inputs = target.querySelectorAll("input[type='radio']");
        for (var j = 0; j < inputs.length; j++) setAttr(inputs[j], "name", "ftic-" + id);
      } else if (el.classList.contains("ftic-group")) {
        setAttr(target, "role", "group");
      }
    }
  }

  function markInvalid(root) {
    var fields = root.querySelectorAll("[class*='ftic-field--']");
    for (var i = 0; i < fields.length; i++) {
      var el = fields[i];
      var input = el.querySelector("input");
      if (input === null) continue;
      var described = suffix(el, "ftic-describedby--");
      if (el.classList.contains("ftic-invalid") && described !== null) {
        setAttr(input, "aria-invalid", "true");
        setAttr(input, "aria-describedby", described);
      } else {
        if (input.hasAttribute("aria-invalid")) input.removeAttribute("aria-invalid");
        if (input.hasAttribute("aria-describedby")) input.removeAttribute("aria-describedby");
      }
    }
  }

  function update() {
    var app = document.querySelector(".ftic-app");
    if (app === null) return;
    labelGroups(app);
    markInvalid(app);
    focusHeading();
    focusFeedback(app);
  }

  function onClick(event) {
    var link = event.target.closest ? event.target.closest("a[data-ftic-focus]") : null;
    if (link === null) return;
    var key = link.getAttribute("data-ftic-focus");
    var widgets = document.querySelectorAll(".ftic-field--" + key);
    var chosen = null;
    for (var i = 0; i < widgets.length && chosen === null; i++) {
      if (widgets[i].classList.contains("ftic-invalid")) chosen = widgets[i];
    }
    if (chosen === null && widgets.length > 0) chosen = widgets[0];
    var input = chosen !== null ? chosen.querySelector("input") : null;
    if (input === null) return;
    event.preventDefault();
    input.focus();
  }

  function start() {
    var pending = false;
    var observer = new MutationObserver(function () {
      if (pending) return;
      pending = true;
      // once per batch of changes, after the widgets of this batch are in the page
      window.requestAnimationFrame(function () {
        pending = false;
        update();
      });
    });
    observer.observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["class", "style"],
    });
    document.addEventListener("click", onClick);
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

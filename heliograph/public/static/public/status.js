/* Heliograph public status page: progressive enhancements only.
 *
 * The server's HTML is complete without this script. It adds:
 * 1. a button that shows every time in the visitor's own time zone (remembered per browser);
 * 2. arrow-key movement inside each day strip, so a strip is one tab stop, and Escape to
 *    hide an open tooltip;
 * 3. on the front page, a refresh of the live parts about every 30 seconds with conditional
 *    requests (If-None-Match / 304), pausing while the tab is hidden.
 */
(function () {
  "use strict";

  var ZONE_KEY = "heliograph.zone";
  var MAX_BACKOFF_MS = 10 * 60 * 1000;
  var lang = document.documentElement.lang || "en";
  var zoneSwitch = document.querySelector("[data-zone-switch]");
  var pageZone = zoneSwitch ? zoneSwitch.getAttribute("data-page-zone") : "UTC";

  function visitorZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
    } catch (error) {
      return null;
    }
  }

  function readMode() {
    try {
      return window.localStorage.getItem(ZONE_KEY) === "visitor" ? "visitor" : "page";
    } catch (error) {
      return "page";
    }
  }

  function writeMode(mode) {
    try {
      window.localStorage.setItem(ZONE_KEY, mode);
    } catch (error) {
      /* Storage may be disabled; the choice then lasts until the page is left. */
    }
  }

  var mode = readMode();

  function shownZone() {
    return mode === "visitor" ? visitorZone() || pageZone : pageZone;
  }

  /* The server's abbreviations of the page's zone by UTC offset in minutes, such as
     {"60": "CET", "120": "CEST"}. */
  var pageAbbreviations = {};
  try {
    pageAbbreviations = JSON.parse(
      zoneSwitch ? zoneSwitch.getAttribute("data-zone-abbreviations") : "{}") || {};
  } catch (error) {
    pageAbbreviations = {};
  }

  /* Return the UTC offset of `zone` at `date` in minutes, or null where Intl cannot tell. */
  function offsetMinutes(date, zone) {
    try {
      var name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
        .formatToParts(date)
        .filter(function (part) { return part.type === "timeZoneName"; })[0].value;
      var match = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
      if (!match) {
        return null;
      }
      var minutes = match[1] ? parseInt(match[2], 10) * 60 + parseInt(match[3], 10) : 0;
      return match[1] === "-" ? -minutes : minutes;
    } catch (error) {
      return null;
    }
  }

  /* Every time shown by the script names its zone. The page's zone gets the server's
     abbreviation ("CET"); other zones get Intl's name, which may be an offset ("GMT+1"). */
  function formatTime(date, zone, withDate) {
    var options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone };
    if (withDate) {
      options.year = "numeric";
      options.month = "long";
      options.day = "numeric";
    }
    var offset = zone === pageZone ? offsetMinutes(date, zone) : null;
    var abbreviation = offset === null ? undefined : pageAbbreviations[String(offset)];
    if (abbreviation) {
      return new Intl.DateTimeFormat(lang, options).format(date) + " " + abbreviation;
    }
    options.timeZoneName = "short";
    return new Intl.DateTimeFormat(lang, options).format(date);
  }

  /* Show the <time data-f> elements under `root` in the chosen zone. The server's text is
     kept in data-page-text, so switching back restores it exactly. */
  function applyZone(root) {
    var zone = shownZone();
    var times = root.querySelectorAll("time[data-f]");
    for (var i = 0; i < times.length; i++) {
      var element = times[i];
      if (!element.hasAttribute("data-page-text")) {
        element.setAttribute("data-page-text", element.textContent);
      }
      if (mode === "visitor") {
        var date = new Date(element.getAttribute("datetime"));
        element.textContent = formatTime(date, zone, element.getAttribute("data-f") === "dt");
      } else {
        element.textContent = element.getAttribute("data-page-text");
      }
    }
  }

  function setUpZoneSwitch() {
    var zone = visitorZone();
    if (!zoneSwitch || !zone || zone === pageZone) {
      mode = "page";
      return;
    }
    var text = zoneSwitch.querySelector("[data-zone-text]");
    var button = zoneSwitch.querySelector("[data-zone-button]");
    function render() {
      if (mode === "visitor") {
        text.textContent = zoneSwitch.getAttribute("data-text-visitor").replace("%(zone)s", zone);
        button.textContent = zoneSwitch.getAttribute("data-button-page");
      } else {
        text.textContent = zoneSwitch.getAttribute("data-text-page");
        button.textContent = zoneSwitch.getAttribute("data-button-visitor");
      }
    }
    button.addEventListener("click", function () {
      mode = mode === "visitor" ? "page" : "visitor";
      writeMode(mode);
      render();
      applyZone(document);
      showChecked(lastChecked);
    });
    button.hidden = false;
    render();
  }

  /* --- Day strips: one tab stop each, arrow keys inside ------------------------------------ */

  function setUpStrips(root) {
    var strips = root.querySelectorAll("ol.strip");
    for (var i = 0; i < strips.length; i++) {
      var bars = strips[i].children;
      for (var j = 0; j < bars.length; j++) {
        bars[j].tabIndex = j === bars.length - 1 ? 0 : -1;
      }
    }
  }

  function moveFocus(bar, target) {
    if (!target || target === bar) {
      return;
    }
    bar.tabIndex = -1;
    target.tabIndex = 0;
    target.focus();
  }

  function hideAllTips() {
    var strips = document.querySelectorAll("ol.strip");
    for (var i = 0; i < strips.length; i++) {
      strips[i].classList.add("tips-hidden");
    }
  }

  function showTipsOf(node) {
    var strip = node && node.closest ? node.closest("ol.strip") : null;
    if (strip) {
      strip.classList.remove("tips-hidden");
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      hideAllTips();
      return;
    }
    var bar = event.target.closest ? event.target.closest("ol.strip > li") : null;
    if (!bar) {
      return;
    }
    var bars = bar.parentNode.children;
    var target = null;
    if (event.key === "ArrowLeft" || event.key === "ArrowUp") {
      target = bar.previousElementSibling;
    } else if (event.key === "ArrowRight" || event.key === "ArrowDown") {
      target = bar.nextElementSibling;
    } else if (event.key === "Home") {
      target = bars[0];
    } else if (event.key === "End") {
      target = bars[bars.length - 1];
    } else {
      return;
    }
    event.preventDefault();
    moveFocus(bar, target);
  });
  document.addEventListener("pointerover", function (event) {
    showTipsOf(event.target);
  });
  document.addEventListener("focusin", function (event) {
    showTipsOf(event.target);
  });

  /* --- Live refresh of the front page ------------------------------------------------------ */

  var checked = document.querySelector("[data-live-checked]");
  var lastChecked = new Date();

  function showChecked(date) {
    if (!checked) {
      return;
    }
    lastChecked = date;
    checked.textContent = checked.getAttribute("data-text")
      .replace("%(time)s", formatTime(date, shownZone(), false));
    checked.hidden = false;
  }

  function focusPath(container) {
    var active = document.activeElement;
    if (!active || !container.contains(active)) {
      return -1;
    }
    var focusable = container.querySelectorAll("a[href], [tabindex]");
    return Array.prototype.indexOf.call(focusable, active);
  }

  function restoreFocus(container, index) {
    if (index < 0) {
      return;
    }
    var focusable = container.querySelectorAll("a[href], [tabindex]");
    var target = focusable[Math.min(index, focusable.length - 1)];
    if (target) {
      var strip = target.closest("ol.strip");
      if (strip) {
        var bars = strip.children;
        for (var i = 0; i < bars.length; i++) {
          bars[i].tabIndex = bars[i] === target ? 0 : -1;
        }
      }
      target.focus({ preventScroll: true });
    }
  }

  function setUpLive() {
    var live = document.getElementById("live");
    if (!live || !window.fetch) {
      return;
    }
    var url = live.getAttribute("data-live-url");
    var etag = live.getAttribute("data-etag");
    var version = live.getAttribute("data-version");
    var interval = parseInt(live.getAttribute("data-interval"), 10) || 30000;
    var announce = document.querySelector("[data-live-announce]");
    var icon = document.querySelector('link[rel="icon"]');
    var failures = 0;
    var timer = null;

    function schedule(delay) {
      window.clearTimeout(timer);
      timer = window.setTimeout(poll, delay);
    }

    function replace(data) {
      var index = focusPath(live);
      live.innerHTML = data.html;
      applyZone(live);
      setUpStrips(live);
      restoreFocus(live, index);
      if (icon && data.favicon) {
        icon.setAttribute("href", data.favicon);
      }
      if (announce && String(data.version) !== version) {
        announce.textContent = announce.getAttribute("data-text-updated");
      }
      version = String(data.version);
      etag = data.etag;
    }

    function poll() {
      if (document.hidden) {
        return;
      }
      window.fetch(url, {
        headers: { "If-None-Match": etag, "Accept": "application/json" },
        cache: "no-store",
        credentials: "same-origin"
      }).then(function (response) {
        if (response.status === 304) {
          return null;
        }
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      }).then(function (data) {
        if (data) {
          replace(data);
        }
        failures = 0;
        showChecked(new Date());
        schedule(interval);
      }).catch(function () {
        failures += 1;
        schedule(Math.min(interval * Math.pow(2, failures), MAX_BACKOFF_MS));
      });
    }

    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) {
        schedule(0);
      }
    });
    showChecked(new Date());
    schedule(interval);
  }

  setUpZoneSwitch();
  applyZone(document);
  setUpStrips(document);
  setUpLive();
})();

// ltikit dev: keeps the course page's live panels (activities, gradebook,
// roster, message log) up to date by fetching them again every two
// seconds, without touching the tool's iframe. The chosen activity and the
// open log entries survive a refresh.
(function () {
  "use strict";
  var last = {};

  function selectedActivity() {
    var c = document.querySelector('input[name="activity"]:checked');
    return c ? c.value : "";
  }

  function openEntries(el) {
    var keys = {};
    el.querySelectorAll("li[data-key] > details[open]").forEach(function (d) {
      keys[d.parentElement.dataset.key] = true;
    });
    return keys;
  }

  function apply(doc) {
    var chosen = selectedActivity();
    doc.body.querySelectorAll("[id]").forEach(function (fresh) {
      var el = document.getElementById(fresh.id);
      if (!el || !el.classList.contains("live") || last[fresh.id] === fresh.innerHTML) {
        return;
      }
      last[fresh.id] = fresh.innerHTML;
      var open = openEntries(el);
      el.innerHTML = fresh.innerHTML;
      el.querySelectorAll("li[data-key]").forEach(function (li) {
        if (open[li.dataset.key]) {
          li.querySelector("details").open = true;
        }
      });
    });
    var radio = document.querySelector('input[name="activity"][value="' + CSS.escape(chosen) + '"]');
    if (radio) {
      radio.checked = true;
    }
  }

  function refresh() {
    fetch("/dev/panels", { cache: "no-cache" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { apply(new DOMParser().parseFromString(html, "text/html")); })
      .catch(function () { /* the LMS stopped; try again later */ })
      .finally(function () { setTimeout(refresh, 2000); });
  }

  document.querySelectorAll(".live").forEach(function (el) { last[el.id] = el.innerHTML; });
  setTimeout(refresh, 2000);
})();

// The integrity monitor: records integrity events with the browser's time
// and posts them to the tool in small batches; the tool answers the
// attempt's status and the number of incidents its policy counted.
//
// In the tool's own quiz (quiz mode) it runs in the quiz page: focus
// changes, tab switches, copy and paste and leaving full screen are
// incidents. In a proctored attempt it is a window of its own next to the
// platform's exam page, which it cannot watch: its own focus changes and
// its being hidden (minimised, or covered by the exam window) are recorded
// for information only; its closing is an incident. It shows the attempt's
// status from the start and keeps it up to date.
(function () {
  'use strict';
  var root = document.getElementById('monitor');
  if (!root) return;
  var proctoring = root.dataset.mode === 'proctoring';
  var log = document.getElementById('event-log');
  var status = document.getElementById('monitor-status');
  var count = document.getElementById('event-count');
  var queue = [];
  var timer = null;
  var over = {terminated: true, ended: true, submitted: true};

  function record(type) {
    if (over[root.dataset.status]) return;
    var at = new Date().toISOString();
    queue.push({type: type, at: at});
    var li = document.createElement('li');
    li.textContent = at.slice(11, 19) + ' ' + type;
    log.insertBefore(li, log.firstChild);
    if (!timer) timer = setTimeout(flush, 300);
  }

  // post sends events; keepalive lets it outlive the page.
  function post(events, keepalive) {
    return fetch(root.dataset.endpoint, {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: keepalive,
      headers: {'Content-Type': 'application/json', 'X-Proctor-Monitor': '1'},
      body: JSON.stringify({events: events})
    });
  }

  function flush() {
    timer = null;
    var events = queue.splice(0, 50);
    if (!events.length) return;
    post(events, false).then(function (r) { return r.json(); }).then(show).catch(function () {
      queue = events.concat(queue); // resent with the next event
      status.textContent = 'offline';
    });
  }

  function show(s) {
    root.dataset.status = s.status;
    status.textContent = s.status;
    count.textContent = s.incidents;
    if (s.status === 'terminated') {
      document.body.classList.add('terminated');
      var form = document.getElementById('quiz-form');
      if (form) form.querySelectorAll('input,button').forEach(function (e) { e.disabled = true; });
    }
    var done = document.getElementById('monitor-done');
    if (done) done.hidden = !over[s.status];
  }

  // refresh reads the attempt's status until it is over: the attempt may
  // start after this window opens, and end without an event.
  function refresh() {
    fetch(root.dataset.current, {credentials: 'same-origin', cache: 'no-store'})
      .then(function (r) { return r.json(); }).then(show).catch(function () {})
      .finally(function () { if (!over[root.dataset.status]) setTimeout(refresh, 3000); });
  }

  document.addEventListener('copy', function () { record('copy'); });
  document.addEventListener('paste', function () { record('paste'); });
  if (proctoring) {
    window.addEventListener('blur', function () { record('monitor-blur'); });
    document.addEventListener('visibilitychange', function () { if (document.hidden) record('monitor-hidden'); });
    // Closing: beforeunload is the last event a closing window surely
    // runs with time to send; pagehide covers the browsers that skip it.
    var closed = false;
    var closing = function () {
      if (closed || over[root.dataset.status]) return;
      closed = true;
      post(queue.splice(0, 49).concat({type: 'monitor-closed', at: new Date().toISOString()}), true).catch(function () {});
    };
    window.addEventListener('beforeunload', closing);
    window.addEventListener('pagehide', closing);
    refresh();
    return;
  }
  window.addEventListener('blur', function () {
    setTimeout(function () { if (!document.hidden) record('focus-lost'); }, 100);
  });
  document.addEventListener('visibilitychange', function () { if (document.hidden) record('tab-hidden'); });
  document.addEventListener('fullscreenchange', function () { if (!document.fullscreenElement) record('fullscreen-exit'); });
  var fs = document.getElementById('enter-fullscreen');
  if (fs && document.fullscreenEnabled) {
    fs.hidden = false;
    fs.addEventListener('click', function () { document.documentElement.requestFullscreen().catch(function () {}); });
  }
})();

// The integrity monitor: records focus changes, tab switches, copy and
// paste and leaving full screen, with the browser's time, and posts them to
// the tool in small batches. The tool answers the attempt's status.
(function () {
  'use strict';
  var root = document.getElementById('monitor');
  if (!root) return;
  var log = document.getElementById('event-log');
  var status = document.getElementById('monitor-status');
  var count = document.getElementById('event-count');
  var queue = [];
  var timer = null;

  function record(type) {
    if (root.dataset.status === 'terminated') return;
    var at = new Date().toISOString();
    queue.push({type: type, at: at});
    var li = document.createElement('li');
    li.textContent = at.slice(11, 19) + ' ' + type;
    log.insertBefore(li, log.firstChild);
    if (!timer) timer = setTimeout(flush, 300);
  }

  function flush() {
    timer = null;
    var events = queue.splice(0, 50);
    if (!events.length) return;
    fetch(root.dataset.endpoint, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-Proctor-Monitor': '1'},
      body: JSON.stringify({events: events})
    }).then(function (r) { return r.json(); }).then(show).catch(function () {
      queue = events.concat(queue); // resent with the next event
      status.textContent = 'offline';
    });
  }

  function show(s) {
    root.dataset.status = s.status;
    status.textContent = s.status;
    count.textContent = s.events;
    if (s.status === 'terminated') {
      document.body.classList.add('terminated');
      var form = document.getElementById('quiz-form');
      if (form) form.querySelectorAll('input,button').forEach(function (e) { e.disabled = true; });
    }
  }

  window.addEventListener('blur', function () {
    setTimeout(function () { if (!document.hidden) record('focus-lost'); }, 100);
  });
  document.addEventListener('visibilitychange', function () { if (document.hidden) record('tab-hidden'); });
  document.addEventListener('copy', function () { record('copy'); });
  document.addEventListener('paste', function () { record('paste'); });
  document.addEventListener('fullscreenchange', function () { if (!document.fullscreenElement) record('fullscreen-exit'); });
  var fs = document.getElementById('enter-fullscreen');
  if (fs && document.documentElement.requestFullscreen) {
    fs.addEventListener('click', function () { document.documentElement.requestFullscreen().catch(function () {}); });
  } else if (fs) {
    fs.hidden = true;
  }
})();

// The pre-check pages. The pre-check: the optional webcam snapshot
// (getUserMedia, never required), offered only when the page may use a
// camera and one is there. The start page of a proctored attempt: the
// monitor window, opened by the click that starts the attempt (a browser
// lets a click open a popup), once the pre-check passed.
(function () {
  'use strict';
  var start = document.getElementById('start-form');
  if (start) {
    start.addEventListener('submit', function () {
      window.open(start.dataset.monitor, 'ltikit-monitor', 'width=420,height=560');
    });
  }
  var form = document.getElementById('precheck-form');
  if (!form) return;
  var video = document.getElementById('snapshot-video');
  var canvas = document.getElementById('snapshot-canvas');
  var preview = document.getElementById('snapshot-preview');
  var camera = document.getElementById('snapshot-camera');
  var take = document.getElementById('snapshot-take');
  var data = document.getElementById('snapshot-data');
  var note = document.getElementById('snapshot-status');
  var stream = null;

  // cameraUsable resolves to whether the page may use a camera (the
  // permissions policy: an LMS iframe needs allow="camera") and one exists.
  function cameraUsable() {
    var media = navigator.mediaDevices;
    var policy = document.permissionsPolicy || document.featurePolicy;
    if (!media || !media.getUserMedia || !media.enumerateDevices || (policy && !policy.allowsFeature('camera'))) {
      return Promise.resolve(false);
    }
    return media.enumerateDevices().then(function (devices) {
      return devices.some(function (d) { return d.kind === 'videoinput'; });
    }, function () { return false; });
  }

  cameraUsable().then(function (usable) {
    camera.hidden = !usable;
    if (!usable) note.textContent = 'No camera this page may use: go on without a snapshot.';
  });
  camera.addEventListener('click', function () {
    navigator.mediaDevices.getUserMedia({video: {width: 320, height: 240}}).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      take.hidden = false;
      camera.hidden = true;
    }).catch(function () { note.textContent = 'The camera could not be used: go on without a snapshot.'; });
  });
  take.addEventListener('click', function () {
    canvas.width = video.videoWidth || 320;
    canvas.height = video.videoHeight || 240;
    canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
    data.value = canvas.toDataURL('image/jpeg', 0.8);
    preview.src = data.value;
    preview.hidden = false;
    note.textContent = 'Snapshot taken.';
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    video.hidden = true;
    take.hidden = true;
  });
})();

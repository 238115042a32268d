// The pre-check page: the optional webcam snapshot (getUserMedia, never
// required), and in proctoring mode the monitor window, opened when the
// candidate starts the attempt.
(function () {
  'use strict';
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

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    camera.hidden = true;
    note.textContent = 'No camera available in this browser: go on without a snapshot.';
  }
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
  form.addEventListener('submit', function () {
    if (form.dataset.monitor) window.open(form.dataset.monitor, 'ltikit-monitor', 'width=420,height=560');
  });
})();

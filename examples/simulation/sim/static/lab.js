// The projectile lab: the learner aims at each target in turn; each shot
// flies on the canvas; when every target is done, the shots go to the lab
// (POST attemptURL), which replays them, scores the attempt and sends the
// grade to the LMS. The flight is the same as sim.Landing in Go.
(function () {
  "use strict";
  var root = document.getElementById("lab");
  var cfg = JSON.parse(root.dataset.config);
  var canvas = document.getElementById("field");
  var ctx = canvas.getContext("2d");
  var form = document.getElementById("controls");
  var angleIn = document.getElementById("angle");
  var speedIn = document.getElementById("speed");
  var fire = document.getElementById("fire");
  var statusEl = document.getElementById("status");
  var shotsEl = document.getElementById("shots");
  var result = document.getElementById("result");
  var again = document.getElementById("again");
  var resend = document.getElementById("resend");

  var state; // the attempt in progress
  var lastAttempt = null; // the shots sent, for "Send the grade again"

  // The world: x from the cannon to past the farthest target; y from the
  // targets' ground up.
  var far = Math.max.apply(null, cfg.targets) + cfg.tolerance;
  var xmax = far * 1.12;
  var ymax = Math.max(cfg.height * 1.6, xmax * 0.42);
  var pad = { left: 40, right: 16, top: 14, bottom: 34 };
  function sx(x) { return pad.left + x / xmax * (canvas.width - pad.left - pad.right); }
  function sy(y) { return canvas.height - pad.bottom - y / ymax * (canvas.height - pad.top - pad.bottom); }

  function flight(angle, speed) {
    var rad = angle * Math.PI / 180, vx = speed * Math.cos(rad), vy = speed * Math.sin(rad), g = cfg.gravity;
    var t = (vy + Math.sqrt(vy * vy + 2 * g * cfg.height)) / g;
    return { vx: vx, vy: vy, time: t, landing: vx * t,
      at: function (s) { return { x: vx * s, y: cfg.height + vy * s - g * s * s / 2 }; } };
  }

  function reset() {
    state = { target: 0, left: cfg.shots, shots: cfg.targets.map(function () { return []; }),
      outcome: cfg.targets.map(function () { return null; }), trails: [], busy: false };
    shotsEl.innerHTML = "";
    result.hidden = true;
    resend.hidden = true;
    fire.disabled = false;
    setStatus();
    draw(null);
  }

  function setStatus(text) {
    if (text) { statusEl.textContent = text; return; }
    var d = cfg.targets[state.target];
    statusEl.textContent = "Target " + (state.target + 1) + " of " + cfg.targets.length + " at " + d + " m: " +
      state.left + " shot" + (state.left === 1 ? "" : "s") + " left";
  }

  function draw(shell) {
    var w = canvas.width, h = canvas.height;
    var sky = ctx.createLinearGradient(0, 0, 0, h);
    sky.addColorStop(0, "#cfe6fb"); sky.addColorStop(1, "#eef7ff");
    ctx.fillStyle = sky; ctx.fillRect(0, 0, w, h);
    ctx.fillStyle = "#8fbf6a"; ctx.fillRect(0, sy(0), w, h - sy(0));
    if (cfg.height > 0) { // the cliff
      ctx.fillStyle = "#9c8b74"; ctx.fillRect(0, sy(cfg.height), sx(0) + 6, sy(0) - sy(cfg.height));
    }
    // distance ticks
    ctx.fillStyle = "#3d5a3a"; ctx.font = "11px system-ui, sans-serif"; ctx.textAlign = "center";
    var step = niceStep(xmax);
    for (var x = 0; x <= xmax; x += step) { ctx.fillRect(sx(x), sy(0), 1, 5); ctx.fillText(x + " m", sx(x), sy(0) + 17); }
    // targets
    cfg.targets.forEach(function (d, i) {
      var out = state.outcome[i];
      var color = out === true ? "#1d7a3a" : out === false ? "#c0392b" : i === state.target ? "#d9480f" : "#7d8a96";
      ctx.fillStyle = color; ctx.globalAlpha = 0.35;
      ctx.fillRect(sx(d - cfg.tolerance), sy(0) - 4, sx(d + cfg.tolerance) - sx(d - cfg.tolerance), 6);
      ctx.globalAlpha = 1;
      ctx.fillRect(sx(d) - 1, sy(0) - 30, 2, 30);
      ctx.beginPath(); ctx.moveTo(sx(d) + 1, sy(0) - 30); ctx.lineTo(sx(d) + 15, sy(0) - 24); ctx.lineTo(sx(d) + 1, sy(0) - 18); ctx.fill();
    });
    // earlier shots
    state.trails.forEach(function (tr) { path(tr, tr.time, "rgba(40,60,80,0.25)"); });
    // the cannon
    var a = parseFloat(angleIn.value) || 45, rad = a * Math.PI / 180, cx = sx(0), cy = sy(cfg.height);
    ctx.strokeStyle = "#2b2f33"; ctx.lineWidth = 7; ctx.lineCap = "round";
    ctx.beginPath(); ctx.moveTo(cx, cy); ctx.lineTo(cx + 24 * Math.cos(rad), cy - 24 * Math.sin(rad)); ctx.stroke();
    ctx.fillStyle = "#2b2f33"; ctx.beginPath(); ctx.arc(cx, cy, 9, 0, 2 * Math.PI); ctx.fill();
    if (shell) {
      path(shell.f, shell.t, "#d9480f");
      var p = shell.f.at(shell.t);
      ctx.fillStyle = "#222"; ctx.beginPath(); ctx.arc(sx(p.x), sy(Math.max(p.y, 0)), 5, 0, 2 * Math.PI); ctx.fill();
    }
  }

  function path(f, until, color) {
    ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.beginPath();
    for (var i = 0; i <= 60; i++) {
      var p = f.at(until * i / 60);
      if (i === 0) { ctx.moveTo(sx(p.x), sy(p.y)); } else { ctx.lineTo(sx(p.x), sy(Math.max(p.y, 0))); }
    }
    ctx.stroke();
  }

  function niceStep(span) {
    var raw = span / 8, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var n = raw / mag;
    return (n < 1.5 ? 1 : n < 3.5 ? 2 : n < 7.5 ? 5 : 10) * mag;
  }

  function shoot(ev) {
    ev.preventDefault();
    if (state.busy || !form.reportValidity()) { return; }
    var shot = { angle: parseFloat(angleIn.value), speed: parseFloat(speedIn.value) };
    var f = flight(shot.angle, shot.speed);
    state.busy = true; fire.disabled = true;
    var duration = Math.min(1600, Math.max(700, f.time * 250)), start = null;
    function frame(now) {
      if (start === null) { start = now; }
      var k = Math.min(1, (now - start) / duration);
      draw({ f: f, t: f.time * k });
      if (k < 1) { requestAnimationFrame(frame); return; }
      land(shot, f);
    }
    requestAnimationFrame(frame);
  }

  function land(shot, f) {
    var i = state.target, d = cfg.targets[i], miss = f.landing - d, hit = Math.abs(miss) <= cfg.tolerance;
    state.shots[i].push(shot);
    state.trails.push(f);
    state.left--;
    var li = document.createElement("li");
    li.className = hit ? "hit" : "miss";
    li.textContent = "Target " + (i + 1) + ": " + shot.angle + "° at " + shot.speed + " m/s landed at " +
      f.landing.toFixed(1) + " m, " + (hit ? "a hit" : Math.abs(miss).toFixed(1) + " m " + (miss < 0 ? "short" : "long"));
    shotsEl.appendChild(li);
    if (hit || state.left === 0) {
      state.outcome[i] = hit;
      state.target++;
      state.left = cfg.shots;
    }
    state.busy = false;
    draw(null);
    if (state.target < cfg.targets.length) {
      fire.disabled = false;
      setStatus();
      return;
    }
    setStatus("All targets done: scoring…");
    send({ shots: state.shots });
  }

  function send(attempt) {
    lastAttempt = attempt;
    resend.hidden = true;
    fetch(cfg.attemptURL, { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(attempt), credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (res) {
        if (!res.ok) { throw new Error(res.body.error || "the lab refused the attempt"); }
        var b = res.body;
        document.getElementById("accuracy").textContent = Math.round(b.attempt.accuracy * 100) + "%";
        document.getElementById("comment").textContent = b.comment + " Score: " + b.scoreGiven + " / " + b.scoreMaximum + ".";
        document.getElementById("grade-message").textContent = b.message;
        resend.hidden = !b.retry;
        result.hidden = false;
        setStatus(b.graded ? "Done: your grade is on its way to the LMS." : "Done.");
      })
      .catch(function (err) {
        setStatus("Could not score the attempt.");
        document.getElementById("accuracy").textContent = "";
        document.getElementById("comment").textContent = "";
        document.getElementById("grade-message").textContent = err.message;
        resend.hidden = false;
        result.hidden = false;
      });
  }

  form.addEventListener("submit", shoot);
  angleIn.addEventListener("input", function () { if (!state.busy) { draw(null); } });
  again.addEventListener("click", reset);
  resend.addEventListener("click", function () { if (lastAttempt) { send(lastAttempt); } });
  reset();
})();

// The public survey page, made nicer when JavaScript runs (the form works without it):
// 1. branching: a question with data-show-if is shown only while its rule holds (the same
//    rules as mehvar/feedback/branching.py: lte, gte, eq, in, answered; a rule about a question
//    that is not shown is false);
// 2. autosave: each answered question is posted to the form's data-save-url, so a half-finished
//    form is kept; the server answers {"saved": [...keys], "errors": {key: message}}.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form || !window.fetch || !window.FormData || !window.Promise) {
    if (form) showAll(form);
    return;
  }
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  var honeypot = form.querySelector(".hp input");
  var status = document.getElementById("save-status");
  var questions = Array.prototype.slice.call(form.querySelectorAll("fieldset.fq"));
  var timers = {};

  function showAll(f) {
    Array.prototype.forEach.call(f.querySelectorAll("fieldset.fq"), function (fs) {
      fs.hidden = false;
    });
  }

  function checked(fs, name) {
    var input = fs.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  }

  // The current answer of a question, in the shape branching compares (null when empty).
  function answerOf(fs) {
    var key = fs.dataset.key;
    var kind = fs.dataset.kind;
    var name = "q-" + key;
    if (kind === "nps" || kind === "csat" || kind === "ces") {
      var n = checked(fs, name);
      return n === "" ? null : Number(n);
    }
    if (kind === "single") return checked(fs, name) || null;
    if (kind === "multiple") {
      var picked = Array.prototype.map.call(fs.querySelectorAll("input:checked"), function (i) {
        return i.value;
      });
      return picked.length ? picked : null;
    }
    if (kind === "text") {
      var text = fs.querySelector("textarea").value.trim();
      return text || null;
    }
    var parts = {};
    var any = false;
    Array.prototype.forEach.call(fs.querySelectorAll("input:checked"), function (i) {
      parts[i.name.slice(name.length + 1)] = i.value;
      any = true;
    });
    return any ? parts : null;
  }

  function matches(rule, answer) {
    if (answer === null || answer === undefined) return false;
    if (rule.op === "answered") return true;
    if (rule.op === "in") {
      var wanted = (Array.isArray(rule.value) ? rule.value : []).map(String);
      var given = Array.isArray(answer) ? answer.map(String) : [String(answer)];
      return given.some(function (v) { return wanted.indexOf(v) >= 0; });
    }
    if (rule.op === "eq") return String(answer) === String(rule.value);
    var left = Number(answer);
    var right = Number(rule.value);
    if (typeof answer === "object" || isNaN(left) || isNaN(right)) return false;
    return rule.op === "lte" ? left <= right : left >= right;
  }

  function applyBranching() {
    var answers = {};
    questions.forEach(function (fs) {
      var rule = null;
      try {
        rule = fs.dataset.showIf ? JSON.parse(fs.dataset.showIf) : null;
      } catch (e) {
        rule = null;
      }
      // A question the server flagged stays in sight until it is answered.
      var asked = !rule || matches(rule, answers[rule.key]) || fs.classList.contains("has-error");
      fs.hidden = !asked;
      if (asked) {
        var answer = answerOf(fs);
        if (answer !== null) answers[fs.dataset.key] = answer;
      }
    });
  }

  // Whether a question holds something worth saving: a Kano pair needs both parts, a required
  // quality grid every row (the server refuses less); the rest save as soon as they change.
  function ready(fs) {
    var kind = fs.dataset.kind;
    if (kind !== "kano" && kind !== "quality") return true;
    var rows = fs.querySelectorAll("fieldset");
    var done = fs.querySelectorAll("input:checked").length;
    if (kind === "kano" || fs.dataset.required === "1") return done === rows.length;
    return true;
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  function showError(fs, message) {
    var box = fs.querySelector(".fq-error");
    if (box) box.textContent = message || "";
    fs.classList.toggle("has-error", Boolean(message));
  }

  // Saves go one at a time, in order, so an older answer can never land after a newer one;
  // an answer already saved as it is now is not sent again (a text box's blur after typing).
  var queue = Promise.resolve();
  var lastSent = {};

  function payload(fs) {
    var fields = [];
    Array.prototype.forEach.call(fs.querySelectorAll("input, textarea"), function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      fields.push([input.name, input.value]);
    });
    return fields;
  }

  function save(fs) {
    var key = fs.dataset.key;
    var fields = payload(fs);
    var signature = JSON.stringify(fields);
    if (lastSent[key] === signature) return;
    lastSent[key] = signature;
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrf ? csrf.value : "");
    data.append("keys", key);
    if (honeypot && honeypot.value) data.append(honeypot.name, honeypot.value);
    fields.forEach(function (field) { data.append(field[0], field[1]); });
    queue = queue.then(function () {
      return fetch(form.dataset.saveUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf ? csrf.value : "", Accept: "application/json" },
      })
        .then(function (response) {
          return response.json().then(function (body) {
            return { ok: response.ok, body: body };
          });
        })
        .then(function (result) {
          var errors = (result.body && result.body.errors) || {};
          showError(fs, errors[key]);
          if (result.ok) {
            say(form.dataset.msgSaved);
          } else {
            delete lastSent[key];  // try again with the next change
            if (!errors[key]) say((result.body && result.body.detail) || form.dataset.msgFailed);
          }
        })
        .catch(function () {
          delete lastSent[key];
          say(form.dataset.msgFailed);
        });
    });
  }

  function changed(event) {
    var fs = event.target.closest("fieldset.fq");
    applyBranching();
    if (!fs || !ready(fs)) return;
    var key = fs.dataset.key;
    clearTimeout(timers[key]);
    // Typing saves after a pause; a click saves at once.
    timers[key] = setTimeout(function () { save(fs); }, event.type === "input" ? 1500 : 0);
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA") changed(event);
  });
  applyBranching();
  var summary = document.getElementById("summary");
  if (summary) summary.focus();
})();

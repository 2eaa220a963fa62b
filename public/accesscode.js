// The access-code page, enhanced. Everything works without this script; it only adds:
// 1. a slip's QR link `/work/accesscode#code=…` fills the field, and the fragment is removed at
//    once (the fragment never reaches a server; removing it keeps it out of history too);
// 2. a live "is this username free?" hint while choosing a username;
// 3. a live length hint and a "do they match?" hint while setting the password, and a
//    "show passwords" switch. The real policy (blocklist, username) is checked on the server.

(() => {
  function fillCodeFromFragment() {
    var field = document.getElementById('code');
    var match = /(?:^#|&)code=([^&]*)/.exec(location.hash);
    if (match) {
      var code = '';
      try {
        code = decodeURIComponent(match[1].replace(/\+/g, ' '));
      } catch {
        code = '';
      }
      if (field && code) field.value = code.slice(0, 64);
    }
    if (location.hash && history.replaceState) history.replaceState(null, '', location.pathname + location.search);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, name) =>
      Object.hasOwn(values, name) ? String(values[name]) : whole,
    );
  }

  function watchUsername() {
    var form = document.getElementById('choose-form');
    var field = document.getElementById('username');
    var status = document.getElementById('username-status');
    if (!form || !field || !status || !window.fetch) return;
    var codeField = form.querySelector('input[name="code"]');
    var timer = null;
    var sequence = 0;

    function show(kind, text) {
      status.textContent = text;
      status.className = `field-status${kind ? ` ${kind}` : ''}`;
    }

    function check() {
      var username = field.value.trim();
      var mine = ++sequence;
      if (username === '') {
        show('', '');
        return;
      }
      show('', status.getAttribute('data-checking'));
      fetch(form.getAttribute('data-check-url'), {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'x-csrf-token': form.getAttribute('data-csrf') || '',
        },
        body: JSON.stringify({ code: codeField ? codeField.value : '', username: username }),
      })
        .then((response) => (response.ok ? response.json() : null))
        .then((answer) => {
          if (mine !== sequence) return; // a newer keystroke has its own answer coming
          if (!answer) {
            show('', '');
          } else if (!answer.valid) {
            show('bad', status.getAttribute('data-invalid'));
          } else if (answer.available) {
            show('ok', fill(status.getAttribute('data-available'), { username: username.toLowerCase() }));
          } else {
            show('bad', fill(status.getAttribute('data-taken'), { username: username.toLowerCase() }));
          }
        })
        .catch(() => {
          if (mine === sequence) show('', '');
        });
    }

    field.addEventListener('input', () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(check, 350);
    });
    if (field.value.trim() !== '') check();
  }

  function watchPassword() {
    var field = document.getElementById('password');
    var repeat = document.getElementById('password2');
    var meter = document.getElementById('password-strength');
    var match = document.getElementById('password-match');
    var showWrap = document.getElementById('show-passwords-field');
    var show = document.getElementById('show-passwords');
    if (!field || !meter) return;
    var min = Number(meter.getAttribute('data-min')) || 8;
    var good = Number(meter.getAttribute('data-good')) || 15;

    function length(text) {
      return Array.from(text.normalize ? text.normalize('NFKC') : text).length;
    }

    function set(element, kindClass, base, text) {
      if (element.textContent !== text) element.textContent = text;
      element.className = base + (kindClass ? ` ${kindClass}` : '');
    }

    function update() {
      var count = length(field.value);
      if (count === 0) set(meter, '', 'meter', '');
      else if (count < min) set(meter, 'weak', 'meter', fill(meter.getAttribute('data-short'), { count: count }));
      else if (count < good) set(meter, 'fair', 'meter', meter.getAttribute('data-fair'));
      else set(meter, 'good', 'meter', meter.getAttribute('data-strong'));
      if (repeat && match) {
        if (repeat.value === '') set(match, '', 'field-status', '');
        else if (repeat.value === field.value) set(match, 'ok', 'field-status', match.getAttribute('data-match'));
        else if (field.value.indexOf(repeat.value) !== 0 || repeat.value.length >= field.value.length)
          set(match, 'bad', 'field-status', match.getAttribute('data-differ'));
        else set(match, '', 'field-status', '');
      }
    }

    field.addEventListener('input', update);
    if (repeat) repeat.addEventListener('input', update);
    update(); // anything typed before this script ran
    if (showWrap && show) {
      showWrap.hidden = false;
      show.addEventListener('change', () => {
        var type = show.checked ? 'text' : 'password';
        field.type = type;
        if (repeat) repeat.type = type;
      });
    }
  }

  function start() {
    fillCodeFromFragment();
    // A second slip link opened in the same tab only changes the fragment: no new page load.
    window.addEventListener('hashchange', fillCodeFromFragment);
    watchUsername();
    watchPassword();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

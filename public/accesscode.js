// The access-code page, enhanced. Everything works without this script; it only adds:
// 1. a slip's QR link `/work/accesscode#code=…` fills the field, and the fragment is removed at
//    once (the fragment never reaches a server; removing it keeps it out of history too);
// 2. a live "is this username free?" hint while choosing a username;
// 3. a live "x of 16 letters" under the code field, with what was read (look-alikes mapped) and
//    a word on characters that never occur in a code (a vowel, I or O, a digit), before anything
//    is sent;
// 4. suggestions to tap when a username is taken, and the stale error cleared once it is free;
// 5. a live length hint and a "do they match?" hint while setting the password, and a
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

  function watchCode() {
    var field = document.getElementById('code');
    var status = document.getElementById('code-status');
    if (!field || !status) return;
    var hints = {};
    var lookAlikes = {};
    try {
      hints = JSON.parse(status.getAttribute('data-hints') || '{}');
      lookAlikes = JSON.parse(status.getAttribute('data-look-alikes') || '{}');
    } catch {
      return;
    }
    var alphabet = status.getAttribute('data-alphabet') || '';
    var or = status.getAttribute('data-or') || 'or';
    var ignored = /[\s\u00ad\u200b-\u200d\u2060\ufeff\-\u2010-\u2015\u2212_.]/g;

    function choices(letters) {
      var list = letters.split(' ').filter((letter) => letter !== '');
      if (list.length <= 1) return list.join('');
      return `${list.slice(0, -1).join(', ')} ${or} ${list[list.length - 1]}`;
    }

    function update() {
      var text = field.value.normalize ? field.value.normalize('NFKC') : field.value;
      text = text.replace(ignored, '');
      var letters = '';
      var impossible = null;
      for (var char of Array.from(text)) {
        var upper = char === '\u00df' || char === '\u1e9e' ? char : char.toUpperCase();
        var mapped = lookAlikes[char] || lookAlikes[upper] || (upper.length === 1 ? upper : char);
        if (alphabet.indexOf(mapped) !== -1 && mapped.length === 1) letters += mapped;
        else if (impossible === null) impossible = upper.length === 1 ? upper : char;
      }
      var message;
      var kind = '';
      if (impossible !== null) {
        var maybe = Object.hasOwn(hints, impossible) ? hints[impossible] : '';
        message = maybe
          ? fill(status.getAttribute('data-never-is'), { char: impossible, letters: choices(maybe) })
          : fill(status.getAttribute('data-never'), { char: impossible });
        kind = 'bad';
      } else if (letters.length > 16) {
        message = fill(status.getAttribute('data-too-many'), { count: letters.length });
        kind = 'bad';
      } else if (letters.length === 0) {
        message = '';
      } else {
        var grouped = letters.match(/.{1,4}/g).join('-');
        message = `${grouped} · ${fill(status.getAttribute('data-count'), { count: letters.length })}`;
        kind = letters.length === 16 ? 'ok' : '';
      }
      if (status.textContent !== message) status.textContent = message;
      status.className = `field-status code-status${kind ? ` ${kind}` : ''}`;
    }

    field.addEventListener('input', update);
    update();
    return update;
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

    // The answer of the last submit ("taken") is stale once the live check says the name is free.
    function clearStaleError() {
      var error = document.getElementById('step-error');
      if (error) error.remove();
      field.removeAttribute('aria-invalid');
      var described = (field.getAttribute('aria-describedby') || '').split(' ').filter((id) => id !== 'step-error');
      field.setAttribute('aria-describedby', described.join(' '));
    }

    // Free usernames to tap: each fills the field and sends the form.
    function offer(suggestions) {
      var section = document.getElementById('username-choices');
      var list = section ? section.querySelector('ul') : null;
      if (!section || !list) return;
      list.textContent = '';
      (suggestions || []).forEach((suggestion) => {
        var item = document.createElement('li');
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'button-secondary suggestion';
        button.textContent = suggestion;
        button.addEventListener('click', () => {
          field.value = suggestion;
          if (form.requestSubmit) form.requestSubmit();
          else form.submit();
        });
        item.appendChild(button);
        list.appendChild(item);
      });
      section.hidden = list.children.length === 0;
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
            offer(answer.suggestions);
          } else if (answer.available) {
            show('ok', fill(status.getAttribute('data-available'), { username: username.toLowerCase() }));
            clearStaleError();
            offer([]);
          } else {
            show('bad', fill(status.getAttribute('data-taken'), { username: username.toLowerCase() }));
            offer(answer.suggestions);
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
    var updateCode = watchCode();
    if (updateCode) updateCode();
    // A second slip link opened in the same tab only changes the fragment: no new page load.
    window.addEventListener('hashchange', () => {
      fillCodeFromFragment();
      if (updateCode) updateCode();
    });
    watchUsername();
    watchPassword();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

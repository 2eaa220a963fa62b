// Keyslip admin pages: the "More options" menu buttons (WAI-ARIA APG menu button pattern),
// search as you type on People, copy and print of a code shown once, submit-once forms, the
// batch download countdown and the CSV import. Every page but the import works without it (plain
// links and forms); this only makes them quicker. The import needs it: it sends the file to the
// API (a <noscript> notice says so). No inline script or style: the CSP forbids both.
(() => {
  // -------------------------------------------------------------------------------------------
  // Menu buttons

  var openMenu = null; // { button, menu }

  function items(menu) {
    return Array.prototype.slice.call(menu.querySelectorAll('[role="menuitem"]'));
  }

  function place(button, menu) {
    // Fixed position under the button, so a scrolling table cannot clip the menu. Setting
    // style properties from script is CSSOM, which the CSP allows (only style attributes in
    // markup are refused).
    var rect = button.getBoundingClientRect();
    menu.style.position = 'fixed';
    menu.style.top = `${Math.round(rect.bottom + 4)}px`;
    menu.style.left = '0px';
    menu.style.right = 'auto';
    var width = menu.offsetWidth;
    var alignEnd = !menu.parentElement.classList.contains('menu-start');
    var left = alignEnd ? rect.right - width : rect.left;
    left = Math.max(8, Math.min(left, document.documentElement.clientWidth - width - 8));
    menu.style.left = `${Math.round(left)}px`;
    var below = window.innerHeight - rect.bottom;
    if (below < menu.offsetHeight + 12 && rect.top > menu.offsetHeight + 12) {
      menu.style.top = `${Math.round(rect.top - menu.offsetHeight - 4)}px`;
    }
  }

  function open(button, focus) {
    var menu = document.getElementById(button.getAttribute('aria-controls'));
    if (!menu) return;
    if (openMenu && openMenu.button !== button) close(false);
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    // A sticky table cell is a stacking context: lift the open menu's cell above its neighbours.
    var cell = button.closest('td, th');
    if (cell) cell.classList.add('menu-open');
    place(button, menu);
    openMenu = { button: button, menu: menu };
    var list = items(menu);
    if (list.length === 0) return;
    (focus === 'last' ? list[list.length - 1] : list[0]).focus();
  }

  function close(returnFocus) {
    if (!openMenu) return;
    var current = openMenu;
    openMenu = null;
    current.menu.hidden = true;
    current.button.setAttribute('aria-expanded', 'false');
    var cell = current.button.closest('td, th');
    if (cell) cell.classList.remove('menu-open');
    if (returnFocus) current.button.focus();
  }

  function activateMenus(root) {
    var buttons = root.querySelectorAll('[data-menu-button]');
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = false;
  }

  document.addEventListener('click', (event) => {
    var button = event.target.closest('[data-menu-button]');
    if (button) {
      if (button.getAttribute('aria-expanded') === 'true') close(true);
      else open(button, 'first');
      return;
    }
    if (openMenu && !openMenu.menu.contains(event.target)) close(false);
  });

  document.addEventListener('keydown', (event) => {
    var button = event.target.closest?.('[data-menu-button]');
    if (button && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
      event.preventDefault();
      open(button, event.key === 'ArrowUp' ? 'last' : 'first');
      return;
    }
    if (!openMenu?.menu.contains(event.target)) return;
    var list = items(openMenu.menu);
    var index = list.indexOf(event.target);
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        list[(index + 1) % list.length].focus();
        break;
      case 'ArrowUp':
        event.preventDefault();
        list[(index - 1 + list.length) % list.length].focus();
        break;
      case 'Home':
      case 'PageUp':
        event.preventDefault();
        list[0].focus();
        break;
      case 'End':
      case 'PageDown':
        event.preventDefault();
        list[list.length - 1].focus();
        break;
      case 'Escape':
        event.preventDefault();
        close(true);
        break;
      case 'Tab':
        close(false);
        break;
      case ' ':
        // Enter follows a link by itself; Space does not, so it is done here.
        event.preventDefault();
        event.target.click();
        break;
      default:
        // Type-ahead: the next item starting with the typed letter.
        if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
          var letter = event.key.toLowerCase();
          for (var step = 1; step <= list.length; step++) {
            var candidate = list[(index + step) % list.length];
            if (candidate.textContent.trim().toLowerCase().indexOf(letter) === 0) {
              candidate.focus();
              break;
            }
          }
        }
    }
  });

  document.addEventListener('focusout', (event) => {
    if (!openMenu) return;
    var next = event.relatedTarget;
    if (next && (openMenu.menu.contains(next) || next === openMenu.button)) return;
    if (openMenu.menu.contains(event.target)) close(false);
  });

  // The menu is fixed-positioned: it follows its button when the page scrolls or resizes.
  function follow() {
    if (openMenu) place(openMenu.button, openMenu.menu);
  }
  window.addEventListener('resize', follow);
  window.addEventListener('scroll', follow, true);

  activateMenus(document);

  // -------------------------------------------------------------------------------------------
  // People: search as you type (the form still works as a plain GET form without this)

  var filters = document.querySelector('[data-people-filters]');
  var results = document.querySelector('[data-people-results]');
  if (filters && results) {
    var status = document.getElementById('people-status');
    var timer = null;
    var controller = null;
    // Each refresh is numbered: only the latest may fill the list, even where a request cannot
    // be aborted (no AbortController) or its answer is already being read when the next starts.
    var latest = 0;

    var selectionLinks = (params) => {
      var links = document.querySelectorAll('[data-selection-base]');
      for (var i = 0; i < links.length; i++) {
        var query = new URLSearchParams(params);
        query.set('selection', '1');
        links[i].setAttribute('href', `${links[i].getAttribute('data-selection-base')}?${query.toString()}`);
      }
    };

    var refresh = () => {
      var params = new URLSearchParams();
      new FormData(filters).forEach((value, name) => {
        if (typeof value === 'string' && value.trim() !== '') params.append(name, value);
      });
      var url = `/admin/people${params.toString() ? `?${params.toString()}` : ''}`;
      // The previous request is cancelled: the server stops paying for an answer no one reads.
      if (controller) controller.abort();
      controller = typeof AbortController === 'function' ? new AbortController() : null;
      var mine = ++latest;
      results.setAttribute('aria-busy', 'true');
      fetch(url, {
        headers: { 'x-keyslip-fragment': 'people' },
        credentials: 'same-origin',
        signal: controller ? controller.signal : undefined,
      })
        .then((response) => {
          if (response.redirected || !response.ok) throw new Error('reload');
          return response.text();
        })
        .then((text) => {
          if (mine !== latest) return;
          var doc = new DOMParser().parseFromString(text, 'text/html');
          // A parsed document has scripting off, so <noscript> fallbacks would show: drop them.
          var fallbacks = doc.querySelectorAll('noscript');
          for (var i = 0; i < fallbacks.length; i++) fallbacks[i].remove();
          results.replaceChildren.apply(results, Array.prototype.slice.call(doc.body.childNodes));
          activateMenus(results);
          results.removeAttribute('aria-busy');
          history.replaceState(null, '', url);
          selectionLinks(params);
          var count = results.querySelector('#people-count');
          if (status && count) status.textContent = count.textContent;
        })
        .catch((error) => {
          if (mine !== latest || (error && error.name === 'AbortError')) return;
          window.location.assign(url);
        });
    };

    filters.addEventListener('input', (event) => {
      if (event.target.name !== 'q') return;
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    });
    filters.addEventListener('change', (event) => {
      if (event.target.tagName === 'SELECT') refresh();
    });
    filters.addEventListener('submit', (event) => {
      event.preventDefault();
      clearTimeout(timer);
      refresh();
    });
  }

  // -------------------------------------------------------------------------------------------
  // A code shown once: copy and print

  function say(text) {
    var out = document.getElementById('copy-status');
    if (out) out.textContent = text;
  }

  function copyBySelection(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    return ok;
  }

  var copyButtons = document.querySelectorAll('[data-copy-code], [data-print]');
  for (var c = 0; c < copyButtons.length; c++) copyButtons[c].hidden = false;

  document.addEventListener('click', (event) => {
    var copy = event.target.closest('[data-copy-code]');
    if (copy) {
      var element = document.getElementById(copy.getAttribute('data-copy-code'));
      if (!element) return;
      var code = element.getAttribute('data-code');
      var done = () => {
        say(copy.getAttribute('data-copied'));
      };
      var failed = () => {
        say(copyBySelection(element) ? copy.getAttribute('data-copied') : copy.getAttribute('data-copy-failed'));
      };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(code).then(done, failed);
      else failed();
      return;
    }
    if (event.target.closest('[data-print]')) window.print();
  });

  // -------------------------------------------------------------------------------------------
  // Forms that must be sent once (issue codes): a second click is ignored

  document.addEventListener('submit', (event) => {
    var form = event.target;
    var button = form.querySelector('[data-submit-once]');
    if (!button || event.defaultPrevented) return;
    if (form.getAttribute('data-submitted') === 'true') {
      event.preventDefault();
      return;
    }
    form.setAttribute('data-submitted', 'true');
    button.setAttribute('aria-disabled', 'true');
  });

  // The error summary of a form sent back with problems takes the focus, so it is read first.
  var summary = document.querySelector('[data-focus-on-load]');
  if (summary) summary.focus();

  // -------------------------------------------------------------------------------------------
  // Batch page: the time left to download

  var windowNote = document.querySelector('[data-seconds-left]');
  if (windowNote) {
    var deadline = Date.now() + Number(windowNote.getAttribute('data-seconds-left')) * 1000;
    var out = windowNote.querySelector('[data-time-left]');
    var tick = () => {
      var left = deadline - Date.now();
      if (left <= 0) {
        window.location.reload();
        return;
      }
      var minutes = left < 60000 ? 0 : Math.ceil(left / 60000);
      if (out)
        out.textContent =
          minutes >= 1
            ? windowNote.getAttribute('data-minutes-left').replace('{minutes}', String(minutes))
            : windowNote.getAttribute('data-minute-left');
      setTimeout(tick, Math.min(left, 15000));
    };
    tick();
  }

  // -------------------------------------------------------------------------------------------
  // Import: the chosen file goes to POST /api/v1/people/import as text/csv (streamed there)

  var importForm = document.querySelector('[data-import-form]');
  if (importForm) {
    var words = JSON.parse(importForm.getAttribute('data-words'));
    var fill = (template, vars) =>
      template.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
    var statusOut = document.querySelector('[data-import-status]');
    var report = document.querySelector('[data-import-report]');
    var fileInput = importForm.querySelector('input[type="file"]');
    var fileError = document.getElementById('field-file-error');
    var submit = importForm.querySelector('[data-import-submit]');

    var showFileError = (text) => {
      fileError.textContent = text;
      fileError.hidden = !text;
      if (text) {
        fileInput.setAttribute('aria-invalid', 'true');
        fileInput.setAttribute('aria-describedby', 'field-file-hint field-file-error');
      } else {
        fileInput.removeAttribute('aria-invalid');
        fileInput.setAttribute('aria-describedby', 'field-file-hint');
      }
    };

    var listItem = (text, strong) => {
      var li = document.createElement('li');
      if (strong) {
        var b = document.createElement('strong');
        b.textContent = strong;
        li.appendChild(b);
        li.appendChild(document.createTextNode(' '));
      }
      li.appendChild(document.createTextNode(text));
      return li;
    };

    importForm.addEventListener('submit', (event) => {
      event.preventDefault();
      var file = fileInput.files?.[0];
      if (!file) {
        showFileError(words.chooseFile);
        fileInput.focus();
        return;
      }
      showFileError('');
      report.hidden = true;
      submit.disabled = true;
      statusOut.textContent = words.importing;
      var token = importForm.querySelector('input[name="_csrf"]').value;
      fetch('/api/v1/people/import', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'text/csv', 'x-csrf-token': token, accept: 'application/json' },
        body: file,
      })
        .then((response) => response.json().then((body) => ({ ok: response.ok, body: body })))
        .then((result) => {
          if (!result.ok) {
            var message = result.body?.error ? result.body.error.message : '';
            statusOut.textContent = fill(words.failed, { message: message });
            return;
          }
          var data = result.body;
          statusOut.textContent = '';
          var counts = report.querySelector('[data-import-counts]');
          var errors = report.querySelector('[data-import-errors]');
          counts.replaceChildren(
            listItem(fill(words.created, { count: data.created })),
            listItem(fill(words.updated, { count: data.updated })),
            listItem(fill(words.unchanged, { count: data.unchanged ?? 0 })),
            listItem(fill(words.errorCount, { count: data.errors.length })),
          );
          errors.replaceChildren();
          if (data.errors.length === 0) errors.appendChild(listItem(words.noErrors));
          data.errors.forEach((problem) => {
            errors.appendChild(
              listItem(problem.message, problem.line > 0 ? `${fill(words.line, { line: problem.line })}:` : ''),
            );
          });
          report.hidden = false;
          report.focus();
        })
        .catch(() => {
          statusOut.textContent = fill(words.failed, { message: '' });
        })
        .then(() => {
          submit.disabled = false;
        });
    });
  }

  // -------------------------------------------------------------------------------------------
  // Filters folded on a phone: the server sends them open (they work without script); on a
  // narrow screen they start closed behind "Filters (n)" unless a filter needs attention.
  if (window.matchMedia?.('(max-width: 37.5rem)').matches) {
    document.querySelectorAll('[data-fold-filters]').forEach((fold) => {
      if (fold.getAttribute('data-active') === '0') fold.removeAttribute('open');
    });
  }
})();

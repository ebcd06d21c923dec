// Small DOM helpers. Text always goes in as text nodes, never as HTML, so nothing a user or the server wrote
// can turn into markup.

/**
 * Creates an element. `attributes` values: strings/numbers become attributes, `true` a boolean attribute,
 * `false`/null/undefined are skipped; `on*` functions become event listeners; `dataset` and `style` objects are
 * applied as such. Children may be strings, nodes, arrays or null.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name === 'style' && typeof value === 'object') {
      for (const [property, setting] of Object.entries(value)) element.style.setProperty(property.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), setting);
    } else if (name === 'class') {
      element.className = value;
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces all children of `element`. */
export function replaceChildren(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

/** Sets text only when it changed, so screen readers and layout are not disturbed needlessly. */
export function setText(element, text) {
  const value = String(text);
  if (element.textContent !== value) element.textContent = value;
}

let idCounter = 0;
/** A unique id for label/description wiring. */
export function uid(prefix = 'id') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** Says something to screen-reader users right away (assertive), without showing it. */
export function announce(message) {
  const announcer = document.getElementById('announcer');
  if (!announcer) return;
  announcer.textContent = '';
  // A fresh text node after a tick makes screen readers read the same message twice in a row too.
  setTimeout(() => { announcer.textContent = message; }, 30);
}

/** A labelled form field: returns {wrapper, input, error}. */
export function field({ label, name, type = 'text', hint, autocomplete, required = true, inputmode, value,
  minlength, maxlength, size, pattern, multiline = false, rows }) {
  const id = uid(name);
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const input = multiline
    ? h('textarea', { id, name, rows: rows ?? 4, required, 'aria-describedby': [hintId, errorId].filter(Boolean).join(' ') })
    : h('input', {
      id, name, type, autocomplete, required, inputmode, minlength, maxlength, size, pattern,
      'aria-describedby': [hintId, errorId].filter(Boolean).join(' '),
    });
  if (value !== undefined) input.value = value;
  const error = h('p', { class: 'field__error', id: errorId, hidden: true });
  const wrapper = h('div', { class: 'field' },
    h('label', { for: id, class: 'field__label' }, label),
    hint ? h('p', { class: 'field__hint', id: hintId }, hint) : null,
    error,
    input);
  return { wrapper, input, error };
}

/** Shows or clears a field's error message and its aria-invalid state. */
export function setFieldError(fieldParts, message) {
  const { input, error } = fieldParts;
  if (message) {
    error.textContent = message;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
  } else {
    error.textContent = '';
    error.hidden = true;
    input.removeAttribute('aria-invalid');
  }
}

/** A message box: kind is info, success, warning or error. Errors and warnings are announced. */
export function message(kind, ...children) {
  const role = kind === 'error' || kind === 'warning' ? 'alert' : 'status';
  return h('div', { class: `message message--${kind}`, role }, ...children);
}

/** Moves focus to the view's main heading, so keyboard and screen-reader users start at the top of the new view. */
export function focusHeading(root) {
  const heading = root.querySelector('h1');
  if (!heading) return;
  heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: false });
}

/** Turns a button into a busy button while `work` runs, and restores it afterwards. */
export async function whileBusy(button, busyText, work) {
  const original = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = busyText;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = original;
  }
}

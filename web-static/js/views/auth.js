// Sign up and sign in.

import { accountState } from '../account-state.js';
import { api, ApiError } from '../api.js';
import { h, field, setFieldError, replaceChildren, uid } from '../dom.js';
import * as format from '../format.js';

export const minimumAge = 16;

/** The person's age in whole years on `today`. */
export function ageOn(birth, today = new Date()) {
  let age = today.getFullYear() - birth.getFullYear();
  const beforeBirthday = today.getMonth() < birth.getMonth()
    || (today.getMonth() === birth.getMonth() && today.getDate() < birth.getDate());
  if (beforeBirthday) age -= 1;
  return age;
}

/** Reads day/month/year fields into "YYYY-MM-DD", or returns {error}. */
export function birthDateFrom(day, month, year) {
  const d = Number(day);
  const m = Number(month);
  const y = Number(year);
  if (!day || !month || !year) return { error: 'Enter your date of birth: day, month and year.' };
  if (!Number.isInteger(d) || !Number.isInteger(m) || !Number.isInteger(y) || String(year).length !== 4) {
    return { error: 'Enter the date of birth as numbers, for example 27 3 1995.' };
  }
  const date = new Date(y, m - 1, d);
  if (date.getFullYear() !== y || date.getMonth() !== m - 1 || date.getDate() !== d) {
    return { error: 'That date does not exist; check the day and month.' };
  }
  if (date > new Date()) return { error: 'The date of birth must be in the past.' };
  if (y < 1900) return { error: 'Check the year of your date of birth.' };
  return { value: `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`, date };
}

function passwordToggle(input) {
  const button = h('button', { type: 'button', class: 'button button--quiet button--small field__toggle', 'aria-pressed': 'false', 'aria-controls': input.id }, 'Show password');
  button.addEventListener('click', () => {
    const show = input.type === 'password';
    input.type = show ? 'text' : 'password';
    button.setAttribute('aria-pressed', String(show));
    button.textContent = show ? 'Hide password' : 'Show password';
  });
  return button;
}

/** The list of problems at the top of a form, each linking to its field. */
function errorSummary(container, problems) {
  if (problems.length === 0) {
    container.replaceChildren();
    container.hidden = true;
    return;
  }
  container.hidden = false;
  replaceChildren(container,
    h('h2', { class: 'error-summary__title' }, problems.length === 1 ? 'There is a problem' : 'There are problems'),
    h('ul', {}, problems.map(({ text, input }) => h('li', {},
      input ? h('a', { href: `#${input.id}`, onClick: (event) => { event.preventDefault(); input.focus(); } }, text) : text))));
  container.focus();
}

async function signInAndEnter(context, email, password, welcome) {
  const account = await api.signIn(email, password);
  accountState.locallySignedOut = false;
  accountState.set(account);
  if (welcome) context.notify('success', welcome(account));
  context.navigate('/practice');
}

export function renderSignUp(root, context) {
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
  const name = field({ label: 'Your name', name: 'name', autocomplete: 'name', maxlength: 100 });
  const email = field({ label: 'Email', name: 'email', type: 'email', autocomplete: 'email' });
  const password = field({ label: 'Password', name: 'password', type: 'password', autocomplete: 'new-password', hint: 'At least 10 characters. A short sentence is easy to remember.', minlength: 10, maxlength: 256 });
  password.wrapper.append(passwordToggle(password.input));

  const hintId = uid('dob-hint');
  const dobErrorId = uid('dob-error');
  const dobError = h('p', { class: 'field__error', id: dobErrorId, hidden: true });
  const dateInput = (label, name, size, autocomplete) => {
    const id = uid(name);
    const input = h('input', { id, name, type: 'text', inputmode: 'numeric', autocomplete, size, maxlength: size, required: true, 'aria-describedby': `${hintId} ${dobErrorId}`, class: `input--${size}` });
    return { input, wrapper: h('div', { class: 'date-input__item' }, h('label', { for: id, class: 'field__label' }, label), input) };
  };
  const day = dateInput('Day', 'birth-day', 2, 'bday-day');
  const month = dateInput('Month', 'birth-month', 2, 'bday-month');
  const year = dateInput('Year', 'birth-year', 4, 'bday-year');
  const dob = { input: day.input, error: dobError };
  const dobFieldset = h('fieldset', { class: 'field date-input', 'aria-describedby': hintId },
    h('legend', { class: 'field__label' }, 'Date of birth'),
    h('p', { class: 'field__hint', id: hintId }, `For example, 27 3 1995. You must be ${minimumAge} or older to use Jestry.`),
    dobError,
    h('div', { class: 'date-input__row' }, day.wrapper, month.wrapper, year.wrapper));

  const submit = h('button', { type: 'submit', class: 'button button--primary' }, 'Create account');
  const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': 'signup-title' },
    summary, name.wrapper, email.wrapper, password.wrapper, dobFieldset,
    h('div', { class: 'form__actions' }, submit));

  const setDobError = (text) => {
    setFieldError(dob, text);
    for (const part of [day, month, year]) {
      if (text) part.input.setAttribute('aria-invalid', 'true'); else part.input.removeAttribute('aria-invalid');
    }
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const problems = [];
    const check = (parts, text) => {
      setFieldError(parts, text);
      if (text) problems.push({ text, input: parts.input });
    };
    check(name, name.input.value.trim() ? null : 'Enter your name.');
    check(email, /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.input.value.trim()) ? null : 'Enter an email address like name@example.com.');
    check(password, password.input.value.length >= 10 ? null : 'Choose a password of at least 10 characters.');
    const birth = birthDateFrom(day.input.value.trim(), month.input.value.trim(), year.input.value.trim());
    let dobProblem = birth.error ?? null;
    if (!dobProblem && ageOn(birth.date) < minimumAge) {
      dobProblem = `You must be at least ${minimumAge} years old to use Jestry. Nothing was stored.`;
    }
    setDobError(dobProblem);
    if (dobProblem) problems.push({ text: dobProblem, input: day.input });
    errorSummary(summary, problems);
    if (problems.length > 0) return;

    submit.disabled = true;
    submit.textContent = 'Creating your account…';
    try {
      await api.signUp({ name: name.input.value.trim(), email: email.input.value.trim(), password: password.input.value, birthDate: birth.value });
      await signInAndEnter(context, email.input.value.trim(), password.input.value,
        (account) => `Welcome, ${account.name}! You have ${format.balance(account.balance_ms)} of practice time to start with.`);
    } catch (error) {
      const serverProblems = [];
      if (error instanceof ApiError && error.code === 'under_minimum_age') {
        setDobError(error.message);
        serverProblems.push({ text: error.message, input: day.input });
      } else if (error instanceof ApiError && error.code === 'email_taken') {
        setFieldError(email, error.message);
        serverProblems.push({ text: error.message, input: email.input });
      } else if (error instanceof ApiError && error.code === 'invalid_field') {
        // "password: Choose a password…" names the field first.
        const [fieldName, ...rest] = error.message.split(': ');
        const text = rest.length ? rest.join(': ') : error.message;
        const target = { name, email, password, birth_date: dob }[fieldName];
        if (target === dob) setDobError(text); else if (target) setFieldError(target, text);
        serverProblems.push({ text, input: target?.input });
      } else {
        serverProblems.push({ text: error.message });
      }
      errorSummary(summary, serverProblems);
    } finally {
      submit.disabled = false;
      submit.textContent = 'Create account';
    }
  });

  replaceChildren(root,
    h('div', { class: 'auth' },
      h('section', { class: 'auth__intro' },
        h('h1', { id: 'signup-title' }, 'Create your Jestry account'),
        h('p', { class: 'lead' }, 'Practise job interviews with an interviewer that listens, asks follow-up questions and coaches you while you answer.'),
        h('ul', { class: 'ticks' },
          h('li', {}, 'Free trial minutes to start'),
          h('li', {}, 'Answer by voice or by typing'),
          h('li', {}, 'Your history, exportable and deletable at any time')),
        h('div', { class: 'panel panel--note', id: 'age-rule' },
          h('h2', { class: 'panel__title' }, 'Why we ask for your date of birth'),
          h('p', {}, `Jestry is for people aged ${minimumAge} and over. We use your date of birth only to check this; if you are younger, nothing you enter is stored.`))),
      h('section', { class: 'panel auth__form' },
        form,
        h('p', { class: 'auth__switch' }, 'Already have an account? ', h('a', { href: '#/signin' }, 'Sign in')))));
}

export function renderSignIn(root, context) {
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
  const email = field({ label: 'Email', name: 'email', type: 'email', autocomplete: 'username' });
  const password = field({ label: 'Password', name: 'password', type: 'password', autocomplete: 'current-password' });
  password.wrapper.append(passwordToggle(password.input));
  const submit = h('button', { type: 'submit', class: 'button button--primary' }, 'Sign in');
  const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': 'signin-title' },
    summary, email.wrapper, password.wrapper, h('div', { class: 'form__actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const problems = [];
    if (!email.input.value.trim()) problems.push({ text: 'Enter your email.', input: email.input });
    if (!password.input.value) problems.push({ text: 'Enter your password.', input: password.input });
    setFieldError(email, problems.find((p) => p.input === email.input)?.text);
    setFieldError(password, problems.find((p) => p.input === password.input)?.text);
    errorSummary(summary, problems);
    if (problems.length) return;
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      await signInAndEnter(context, email.input.value.trim(), password.input.value, null);
    } catch (error) {
      errorSummary(summary, [{ text: error.message, input: error.code === 'invalid_credentials' ? password.input : null }]);
    } finally {
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  });

  replaceChildren(root,
    h('div', { class: 'auth' },
      h('section', { class: 'auth__intro' },
        h('h1', { id: 'signin-title' }, 'Sign in to Jestry'),
        h('p', { class: 'lead' }, 'Welcome back. Your minutes and your past interviews are waiting.'),
        h('p', {}, 'New here? ', h('a', { href: '#/signup', class: 'strong-link' }, 'Create an account'), ' — it takes a minute, and trial minutes are included.')),
      h('section', { class: 'panel auth__form' },
        form,
        h('p', { class: 'auth__switch' }, 'No account yet? ', h('a', { href: '#/signup' }, 'Sign up')))));
}

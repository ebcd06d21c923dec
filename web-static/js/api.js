// The engine's HTTP API (docs/PROTOCOL.md §8). Every call uses the `jestry_session` cookie that POST /v1/login
// sets; the token in the login answer is never stored by this page.

/** An error answer from the API, or a network failure (status 0). `message` is meant for people. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

const networkMessage = 'Could not reach the Jestry server. Check your connection and try again.';

/** Sends a request and returns the raw Response for 2xx answers; throws ApiError otherwise. */
async function send(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', networkMessage);
  }
  if (response.ok) return response;
  let data = null;
  try { data = await response.json(); } catch { /* not JSON */ }
  const error = data?.error;
  throw new ApiError(response.status, error?.code ?? `http_${response.status}`,
    error?.message ?? `The server answered ${response.status} ${response.statusText}. Please try again.`);
}

async function json(method, path, body) {
  const response = await send(method, path, body);
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(response.status, 'invalid_response', 'The server sent an answer this page cannot read.');
  }
}

export const api = {
  signUp: ({ name, email, password, birthDate }) =>
    json('POST', '/v1/accounts', { name, email, password, birth_date: birthDate }),

  /** Returns the account; the server sets the session cookie. */
  signIn: async (email, password) => (await json('POST', '/v1/login', { email, password })).account,

  /** Ends the sign-in on the server (and its cookie). */
  signOut: () => json('POST', '/v1/logout', {}),

  me: () => json('GET', '/v1/me'),

  tracks: async () => (await json('GET', '/v1/tracks')).tracks ?? [],

  sessions: async () => (await json('GET', '/v1/sessions')).sessions ?? [],

  session: (id) => json('GET', `/v1/sessions/${encodeURIComponent(id)}`),

  recordingURL: (id) => `/v1/sessions/${encodeURIComponent(id)}/recording`,

  /** Deletes a session. Resolves to 'deleted', or to 'gone' when the session was not there any more. */
  deleteSession: async (id) => {
    try {
      await send('DELETE', `/v1/sessions/${encodeURIComponent(id)}`);
      return 'deleted';
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return 'gone';
      throw error;
    }
  },

  /** The minute packs the payment processor sells: [{id, minutes}]. */
  products: async () => (await json('GET', '/v1/billing/products')).products,

  /** Every change to the balance, oldest first: [{kind, amount_ms, reason, created_at, session_id}]. */
  ledger: async () => (await json('GET', '/v1/billing/ledger')).entries,

  /** All the account's data as a Blob, with the file name the engine gives it (PROTOCOL.md §8). */
  exportData: async () => {
    const response = await send('GET', '/v1/export');
    const named = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') ?? '');
    return { blob: await response.blob(), fileName: named ? named[1] : 'jestry-export.json' };
  },

  /** Deletes the account and everything in it. */
  deleteAccount: (password) => json('DELETE', '/v1/account', { password }),
};

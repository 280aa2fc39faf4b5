// The dashboard reads the same public API as any client. The key lives in this tab's
// sessionStorage and travels only in the Authorization header, never in a URL.
const KEY = 'callroi.apiKey';

export const session = {
  get: () => sessionStorage.getItem(KEY),
  set: (key) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let onUnauthorized = () => undefined;
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

async function request(path, { method = 'GET', body, accept = 'application/json', key = session.get() } = {}) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: { Authorization: `Bearer ${key ?? ''}`, Accept: accept, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError('The hub did not answer. Check that it is running and that this computer can reach it, then try again.', 0, 'network');
  }
  if (res.ok) return res;
  let message = `The hub answered ${res.status} ${res.statusText}.`;
  let code = 'http';
  try {
    const err = (await res.json()).error;
    if (err?.message) message = err.message;
    if (Array.isArray(err?.details) && err.details.length) message += ` (${err.details.map((d) => `${d.path}: ${d.message}`).join('; ')})`;
    code = err?.code ?? code;
  } catch {
    /* not JSON: keep the status line */
  }
  if (res.status === 401) onUnauthorized();
  throw new ApiError(message, res.status, code);
}

export const api = {
  async get(path, opts) {
    return (await request(path, opts)).json();
  },
  async post(path, body) {
    const res = await request(path, { method: 'POST', body: body ?? {} });
    return res.status === 204 ? null : res.json();
  },
  /** Ask the API for CSV and save it as a file (the key cannot go in a link). */
  async download(path) {
    const res = await request(path, { accept: 'text/csv' });
    const blob = await res.blob();
    const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'callroi.csv';
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  },
};

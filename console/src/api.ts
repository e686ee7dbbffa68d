/**
 * The console's only way out: the gateway's own JSON endpoints, relative to the page (so it works
 * under API Gateway's stage prefix), with the admin key from sessionStorage as a Bearer header.
 */
const STORAGE_KEY = 'switchyard.adminKey';

export const session = {
  get: (): string | null => sessionStorage.getItem(STORAGE_KEY),
  set: (key: string) => sessionStorage.setItem(STORAGE_KEY, key),
  clear: () => sessionStorage.removeItem(STORAGE_KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown } = {},
  key = session.get(),
): Promise<T> {
  const res = await fetch(path.replace(/^\//, ''), {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${key ?? ''}`,
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    cache: 'no-store',
    credentials: 'omit',
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const err = (parsed as { error?: { message?: string; code?: string } } | undefined)?.error;
    throw new ApiError(res.status, err?.message ?? `HTTP ${res.status}`, err?.code ?? null);
  }
  return parsed as T;
}

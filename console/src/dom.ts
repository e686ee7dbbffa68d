/** A few DOM helpers: every text goes through textContent, never innerHTML, so data cannot become markup. */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
  return el;
}

export function table(headers: string[], rows: Child[][], testid?: string): HTMLTableElement {
  return h(
    'table',
    { 'data-testid': testid },
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

export function badge(text: string, kind = text): HTMLSpanElement {
  return h('span', { class: `badge badge-${kind.replace(/[^a-z_-]/gi, '')}` }, text);
}

/** A horizontal bar: used / limit, with the figures written out. */
export function bar(label: string, usedPercent: number | null, detail: string): HTMLDivElement {
  const pct = usedPercent === null ? 0 : Math.min(100, Math.max(0, usedPercent));
  const fill = h('div', { class: `bar-fill${pct >= 90 ? ' bar-hot' : ''}` });
  fill.style.width = `${pct}%`;
  return h(
    'div',
    { class: 'bar-row', 'data-testid': `budget-${label}` },
    h('span', { class: 'bar-label' }, label),
    h('div', { class: 'bar' }, fill),
    h('span', { class: 'bar-detail' }, detail),
  );
}

export function section(title: string, ...children: (Child | Child[])[]): HTMLElement {
  return h('section', {}, h('h2', {}, title), ...children);
}

// The console's sandbox panel: the simulated clock (what time it is, what falls due next, and
// buttons that let time pass) and "Try it": what the provider sandboxes are scripted to do, with
// sample commands one click away. Everything comes from the local stack's control plane
// (GET /_sandbox/clock, GET /_sandbox/try), so the panel says what the code does.

const MOVES = [
  { label: '+1 min', advance: 'PT1M', testid: 'advance-1m' },
  { label: '+1 h', advance: 'PT1H', testid: 'advance-1h' },
  { label: '+1 day', advance: 'P1D', testid: 'advance-1d' },
  { label: '+7 days', advance: 'P7D', testid: 'advance-7d' },
];

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('data-') || k === 'title' || k === 'type') node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const child of children) node.append(child);
  return node;
};

const fmt = (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

function fromNow(ms) {
  const s = Math.round(ms / 1000);
  if (s <= 0) return 'due now';
  if (s < 90) return `in ${s} s`;
  if (s < 5400) return `in ${Math.round(s / 60)} min`;
  if (s < 2 * 86_400) return `in ${Math.round(s / 3600)} h`;
  return `in ${Math.round(s / 86_400)} days`;
}

function ahead(ms) {
  if (ms < 60_000) return 'real time';
  const m = Math.round(ms / 60_000);
  if (m < 120) return `${m} min ahead of real time`;
  const h = Math.round(ms / 3_600_000);
  return h < 48 ? `${h} h ahead of real time` : `${Math.round(h / 24)} days ahead of real time`;
}

/**
 * @param {{ onMoved: () => Promise<void>, run: (text: string) => void, setStatus: (t: string, k?: string) => void }} hooks
 */
export function setupSandboxPanel(hooks) {
  const root = document.getElementById('sandbox-panel');
  if (!root) return { refresh: async () => {} };
  const time = el('div', { class: 'sp-time', 'data-testid': 'sim-time' }, 'loading…');
  const lead = el('div', { class: 'sp-lead', 'data-testid': 'sim-ahead' });
  const buttons = el('div', { class: 'sp-moves' });
  const due = el('ol', { class: 'sp-due', 'data-testid': 'due-next' });
  const tryIt = el('div', { class: 'sp-try', 'data-testid': 'try-it' });
  root.append(
    el('h2', {}, '🕰️ Sandbox clock'),
    time,
    lead,
    buttons,
    el('h3', {}, 'Due next'),
    due,
    el('h2', {}, '🧪 Try it'),
    tryIt,
  );

  let busy = false;
  async function move(advance, label) {
    if (busy) return;
    busy = true;
    for (const b of buttons.querySelectorAll('button')) b.disabled = true;
    const started = performance.now();
    try {
      const res = await fetch('/_sandbox/clock', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advance }),
      });
      const out = await res.json();
      if (!res.ok) throw new Error(out.error ?? `HTTP ${res.status}`);
      render(out);
      const ms = Math.round(performance.now() - started);
      hooks.setStatus(
        `${label}: now ${fmt(out.now)} · ${out.moved?.periods ?? 0} scheduler period(s) ran · ${ms} ms`,
        'ok',
      );
      await hooks.onMoved();
    } catch (err) {
      hooks.setStatus(`${label} failed: ${err.message}`, 'error');
    } finally {
      busy = false;
      for (const b of buttons.querySelectorAll('button')) b.disabled = false;
    }
  }
  for (const m of MOVES) {
    buttons.append(
      el(
        'button',
        {
          type: 'button',
          class: 'sp-move',
          'data-testid': m.testid,
          onclick: () => move(m.advance, m.label),
        },
        m.label,
      ),
    );
  }

  function render(clock) {
    time.textContent = fmt(clock.now);
    lead.textContent = ahead(clock.aheadMs);
    due.replaceChildren(
      ...(clock.due.length
        ? clock.due
            .slice(0, 6)
            .map((d) =>
              el(
                'li',
                {},
                el('span', { class: 'sp-due-when' }, fromNow(Date.parse(d.dueAt) - clock.nowMs)),
                ` ${d.kind ?? 'job'} · ${d.subject ?? d.jobId}`,
              ),
            )
        : [el('li', { class: 'sp-empty' }, 'nothing is waiting')]),
    );
  }

  async function refresh() {
    try {
      const res = await fetch('/_sandbox/clock', { cache: 'no-store' });
      if (res.ok) render(await res.json());
    } catch {
      // the status bar already says when the stack is unreachable
    }
  }

  async function loadTry() {
    const res = await fetch('/_sandbox/try', { cache: 'no-store' });
    if (!res.ok) return;
    const { facts, samples } = await res.json();
    tryIt.replaceChildren(
      el(
        'ul',
        { class: 'sp-facts' },
        ...facts.map((f) => el('li', {}, el('b', {}, `${f.provider}: `), f.text)),
      ),
      el('h3', {}, 'Sample commands'),
      el(
        'div',
        { class: 'sp-samples' },
        ...samples.map((s) =>
          el(
            'button',
            { type: 'button', class: 'sp-sample', title: s.why, onclick: () => hooks.run(s.command) },
            s.command,
          ),
        ),
      ),
    );
  }

  refresh();
  loadTry();
  return { refresh };
}

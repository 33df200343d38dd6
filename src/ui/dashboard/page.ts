// The dashboard's single HTML page: a Pareto scatter of every trial, the selected trial's layer
// kernels, the per-layer separation chart, free-form SVG panels (per-layer ones behind a layer
// slider) and the trial table, redrawn on every server event.

export function renderDashboardPage(title: string): string {
  const safeTitle = title.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Candor · ${safeTitle}</title>
<link rel="stylesheet" href="/uPlot.min.css">
<script src="/uPlot.iife.min.js"></script>
<style>
  body { font: 14px system-ui, sans-serif; margin: 16px; color: #222; }
  h1 { font-size: 18px; margin: 0 0 12px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 16px; }
  section { border: 1px solid #ddd; border-radius: 6px; padding: 8px; }
  h2 { font-size: 14px; margin: 0 0 6px; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  td, th { padding: 2px 6px; border-bottom: 1px solid #eee; text-align: right; }
  tr.pareto { background: #eef6ff; font-weight: 600; }
  #status { color: #666; margin-bottom: 8px; }
</style>
</head>
<body>
<h1>Candor · ${safeTitle}</h1>
<div id="status">connecting…</div>
<div class="grid">
  <section><h2>Trials: refusals vs KL divergence (Pareto front highlighted)</h2><div id="scatter"></div></section>
  <section><h2 id="kernel-title">Layer kernel of the selected trial</h2><div id="kernel"></div></section>
  <section><h2>Refusal direction: separation per layer</h2><div id="separation"></div></section>
  <section id="panels"></section>
</div>
<section style="margin-top:16px"><h2>Trial table</h2><table id="trials"></table></section>
<script>
const plots = {};
function draw(id, opts, data) {
  const el = document.getElementById(id);
  if (plots[id]) plots[id].destroy();
  el.innerHTML = '';
  plots[id] = new uPlot(Object.assign({ width: 440, height: 260 }, opts), data, el);
}
let shownLayer = null;
function renderPanels(list) {
  const fixed = list.filter((p) => p.layer === undefined || p.layer === null);
  const layered = list.filter((p) => typeof p.layer === 'number');
  const layers = [...new Set(layered.map((p) => p.layer))].sort((a, b) => a - b);
  if (!layers.includes(shownLayer)) shownLayer = layers.length ? layers[0] : null;
  const html = (p) => '<div class="panel"><h2>' + p.title + '</h2>' + p.svg + '</div>';
  let slider = '';
  if (layers.length) {
    slider = '<label>layer <input type="range" id="layer-slider" min="0" max="' + (layers.length - 1) +
      '" step="1" value="' + layers.indexOf(shownLayer) + '"> <span id="layer-value">' + shownLayer + '</span></label>' +
      '<div id="layer-panels">' + layered.filter((p) => p.layer === shownLayer).map(html).join('') + '</div>';
  }
  document.getElementById('panels').innerHTML = fixed.map(html).join('') + slider;
  const input = document.getElementById('layer-slider');
  if (!input) return;
  input.oninput = () => {
    shownLayer = layers[Number(input.value)];
    document.getElementById('layer-value').textContent = shownLayer;
    document.getElementById('layer-panels').innerHTML = layered.filter((p) => p.layer === shownLayer).map(html).join('');
  };
}
function render(state) {
  renderPanels(state.panels || []);
  const done = state.trials.filter((t) => t.state === 'complete');
  const [yName, xName] = state.objectives;
  document.getElementById('status').textContent =
    done.length + ' of ' + state.trials.length + ' trials finished';
  const sorted = done.slice().sort((a, b) => a.values[xName] - b.values[xName]);
  const xs = sorted.map((t) => t.values[xName]);
  // one x per trial (sorted by the x objective); the Pareto series is null off the front, so
  // both series share the x values and uPlot draws them as points without lines
  const ys = sorted.map((t) => t.values[yName]);
  draw('scatter', {
    scales: { x: { time: false } },
    axes: [{ label: xName }, { label: yName }],
    series: [{}, { label: 'trials', stroke: '#888', paths: () => null, points: { show: true, size: 6, fill: '#888' } },
             { label: 'Pareto', stroke: '#06c', paths: () => null, points: { show: true, size: 9, fill: '#06c' } }],
  }, [xs, ys, sorted.map((t, i) => (t.pareto ? ys[i] : null))]);
  if (state.selected) {
    document.getElementById('kernel-title').textContent = 'Layer kernel of trial ' + state.selected.number;
    const names = Object.keys(state.selected.kernel);
    const n = Math.max(...names.map((k) => state.selected.kernel[k].length));
    const colours = ['#c30', '#06c', '#393'];
    draw('kernel', { scales: { x: { time: false } }, axes: [{ label: 'layer' }, { label: 'weight' }],
      series: [{}, ...names.map((k, i) => ({ label: k, stroke: colours[i % 3], width: 2 }))] },
      [Array.from({ length: n }, (_, i) => i), ...names.map((k) => state.selected.kernel[k])]);
  }
  if (state.separation.length) {
    draw('separation', { scales: { x: { time: false } }, axes: [{ label: 'layer' }, {}],
      series: [{}, { label: 'separation score', stroke: '#06c', width: 2 }, { label: 'cosine(harmful, harmless)', stroke: '#c30', width: 2 }] },
      [state.separation.map((s) => s.layer), state.separation.map((s) => s.score), state.separation.map((s) => s.cosine)]);
  }
  const params = state.trials.length ? Object.keys(state.trials[0].params) : [];
  const head = '<tr><th>#</th><th>state</th>' + state.objectives.map((o) => '<th>' + o + '</th>').join('') +
    params.map((p) => '<th>' + p + '</th>').join('') + '</tr>';
  const fmt = (v) => typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(4)) : (v ?? '');
  const rows = state.trials.map((t) => '<tr class="' + (t.pareto ? 'pareto' : '') + '" data-trial="' + t.number + '"><td>' + t.number +
    '</td><td>' + t.state + '</td>' + state.objectives.map((o) => '<td>' + fmt(t.values[o]) + '</td>').join('') +
    params.map((p) => '<td>' + fmt(t.params[p]) + '</td>').join('') + '</tr>').join('');
  document.getElementById('trials').innerHTML = head + rows;
}
new EventSource('/events').onmessage = (e) => render(JSON.parse(e.data));
</script>
</body>
</html>
`;
}

/** The dashboard's style sheet. Plain CSS, system fonts, no external resources. */
export const APP_CSS = String.raw`
:root {
  --bg: #f4f6f9; --panel: #fff; --ink: #1d2733; --muted: #66758a; --line: #dde3ea;
  --accent: #2f6fde; --ok: #1f8a5b; --bad: #c23030; --warn: #b7791f;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.ok { color: var(--ok); font-weight: 600; }
.bad, .error { color: var(--bad); }
.grow { flex: 1; }
[hidden] { display: none !important; }

.top { display: flex; align-items: center; gap: 12px; padding: 10px 20px; background: #15202e; color: #e8eef5; }
.brand { color: #fff; font-weight: 700; font-size: 18px; letter-spacing: 0.3px; }
.sub { color: #94a3b8; }
.live { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #3b4656; color: #cbd5e1; }
.live.on { background: #17704a; color: #fff; }

main { padding: 16px 20px 40px; max-width: 1500px; margin: 0 auto; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin-bottom: 16px; }
.panel h2 { margin: 0 0 10px; font-size: 15px; text-transform: uppercase; letter-spacing: 0.6px; color: #3a4757; }
.panel h3 { margin: 0 0 6px; font-size: 13px; color: #3a4757; }
.login { max-width: 520px; margin: 30px auto; }
.two { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; align-items: start; }
.two > .panel { margin-bottom: 16px; }
@media (max-width: 1100px) { .two { grid-template-columns: 1fr; } }

button { font: inherit; padding: 4px 10px; border-radius: 5px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button:hover { filter: brightness(1.08); }
button:disabled { opacity: 0.45; cursor: default; }
button.ghost { background: transparent; color: inherit; border-color: #7b8794; }
button.danger { background: var(--bad); border-color: var(--bad); }
button.danger-outline { background: #fff; color: var(--bad); border-color: #e4a5a5; }
input, select { font: inherit; padding: 4px 6px; border: 1px solid #c5cfdb; border-radius: 5px; background: #fff; }
input[type=number] { width: 64px; }
form.inline { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 10px; }
form.inline input:not([type]) , form.inline input[name=input] { flex: 1; min-width: 160px; }

table.grid { width: 100%; border-collapse: collapse; }
table.grid th, table.grid td { padding: 7px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.grid th { font-size: 12px; color: var(--muted); font-weight: 600; }
table.grid .num { text-align: right; font-variant-numeric: tabular-nums; }
table.compact td { padding: 5px 6px; }
table.compact td.nowrap, table.compact td.num { white-space: nowrap; }
.scroll-x { overflow-x: auto; }
.progress-cell { min-width: 190px; }
progress { width: 120px; height: 10px; vertical-align: middle; margin-right: 6px; }
div.actions { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
form.scale { display: flex; gap: 6px; align-items: center; }
form.scale label { font-size: 12px; color: var(--muted); }

.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 14px; }
.card { border: 1px solid var(--line); border-radius: 8px; overflow: hidden; background: #fbfcfd; display: flex; flex-direction: column; }
.thumb { display: block; aspect-ratio: 4 / 3; background: #0d141c; position: relative; }
.thumb img { width: 100%; height: 100%; object-fit: contain; display: block; }
.thumb img:not([src]) { visibility: hidden; }
.thumb.empty { display: flex; align-items: center; justify-content: center; color: #8fa0b5; font-size: 13px; }
.card-body { padding: 10px 12px 12px; display: flex; flex-direction: column; gap: 8px; }
.card-title { display: flex; justify-content: space-between; align-items: center; gap: 8px; }
.card-title a { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 0; font-size: 13px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
dl.facts.wide dd { white-space: normal; word-break: break-all; }

.state, .status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #e6ebf1; color: #3a4757; }
.state-running, .status-running { background: #dbe7ff; color: #1f4fb0; }
.state-saved, .status-completed { background: #d9f2e6; color: #17704a; }
.state-paused, .status-scheduled { background: #d6f1f6; color: #0b6b7e; }
.state-error, .status-failed, .status-timed_out { background: #fbdcdc; color: #a12626; }
.state-provisioning, .state-booting, .state-saving, .state-resuming, .state-resetting, .state-pausing, .state-stopping, .state-deleting, .status-pending { background: #fdf0d5; color: #8a5a0b; }
.state-off, .status-cancelled { background: #eceff3; color: #5b6675; }

.charts { display: grid; grid-template-columns: 1fr; gap: 10px; }
.chart { margin: 0; }
.chart > svg { width: 100%; height: auto; display: block; }
.chart .axis { stroke: #9aa7b6; stroke-width: 1; }
.chart .gridline { stroke: #e3e8ee; stroke-width: 1; stroke-dasharray: 3 3; }
.chart .tick { font-size: 10px; fill: var(--muted); }
.chart figcaption { display: flex; flex-wrap: wrap; gap: 10px; font-size: 12px; color: var(--muted); }
.legend { display: inline-flex; align-items: center; gap: 4px; }
.chart .swatch { width: 10px; height: 10px; flex: none; }

ol.events { list-style: none; margin: 0; padding: 0; max-height: 360px; overflow-y: auto; font-size: 13px; }
ol.events li { display: grid; grid-template-columns: 70px 60px minmax(120px, 220px) 1fr; gap: 10px; padding: 4px 2px; border-bottom: 1px solid #eef1f5; }
ol.events li.fresh { background: #fff9e0; }
ol.events .kind { color: var(--muted); }
ol.events .subject { font-family: ui-monospace, Menlo, Consolas, monospace; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }

.crumbs { margin: 0 0 10px; }
.crumbs a { color: #1f4fb0; text-decoration: underline; }
.vm-layout { display: grid; grid-template-columns: minmax(0, 3fr) minmax(260px, 1fr); gap: 16px; align-items: start; }
@media (max-width: 1000px) { .vm-layout { grid-template-columns: 1fr; } }
.screen { background: #0d141c; border-radius: 6px; outline: 3px solid transparent; min-height: 200px; position: relative; margin-bottom: 10px; }
.screen:focus { outline-color: var(--accent); }
.screen img { width: 100%; display: block; cursor: crosshair; border-radius: 6px; }
.screen p { position: absolute; inset: auto 10px 10px auto; margin: 0; color: #8fa0b5; }

.toast { position: fixed; right: 20px; bottom: 20px; max-width: 480px; padding: 10px 14px; border-radius: 6px; background: #15202e; color: #fff; box-shadow: 0 4px 14px rgba(0,0,0,.2); }
.toast.bad { background: var(--bad); }
dialog { border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px; max-width: 440px; }
dialog::backdrop { background: rgba(15, 23, 42, 0.45); }
dialog menu { display: flex; justify-content: flex-end; gap: 8px; padding: 0; margin: 14px 0 0; }
dialog label { display: block; margin-top: 8px; }
`;

/*
 * The live page itself (监测大屏): plain HTML and CSS, all text in Chinese. No build step and no
 * CDN: the page loads its script, ECharts and (for a PC without Chinese fonts) Noto Sans SC from
 * kpi (dashboard-assets.ts), so it works inside a government intranet. The grid puts Liaoning's
 * 14 cities roughly where they lie on the map.
 */

/** The page; `echartsFile` is the versioned ECharts file name under /dashboard/assets/. */
export function dashboardHtml(echartsFile: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>供热直通车 · 监测预警大屏</title>
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
<script src="/dashboard/assets/${echartsFile}"></script>
<script type="module" src="/dashboard/assets/dashboard.js"></script>
</head>
<body>
<header class="top">
  <h1>供热直通车 · 监测预警大屏</h1>
  <div class="top-info">
    <span id="scope" class="scope">—</span>
    <span id="day"></span>
    <span id="clock" class="clock"></span>
    <span id="updated" class="muted"></span>
    <span id="status" class="status" data-state="off">未连接</span>
    <button id="logout" type="button" class="link">退出</button>
  </div>
</header>

<section id="login" class="login" hidden>
  <form id="login-form">
    <h2>登录监测大屏</h2>
    <p>请粘贴省级或供热主管单位的访问令牌（仅保存在本标签页，关闭即清除）。</p>
    <textarea id="token-input" rows="4" autocomplete="off" spellcheck="false" placeholder="eyJhbGciOiJIUzI1NiJ9…"></textarea>
    <button type="submit">进入</button>
    <p id="login-message" class="error" role="alert"></p>
  </form>
</section>

<main id="board" class="board" hidden>
  <section id="figures" class="figures" aria-label="今日概况"></section>

  <section class="panel tiles-panel">
    <h2 id="tiles-title">全省 14 市 · 今日负荷</h2>
    <div id="tiles" class="tiles" data-kind="city"></div>
    <div class="legend"><span>今日受理：</span><i data-level="0"></i>无<i data-level="1"></i><i data-level="2"></i><i data-level="3"></i><i data-level="4"></i>最多（相对本辖区最忙的一格）<span class="alarm-key">红框：有未确认预警</span></div>
  </section>

  <section class="panel">
    <h2>今日受理 · 按类别</h2>
    <div id="chart-category" class="chart"></div>
    <h2>今日受理 · 按小时</h2>
    <div id="chart-hour" class="chart small"></div>
  </section>

  <section class="panel warnings-panel">
    <h2>预警 <span id="warnings-count" class="muted"></span></h2>
    <ul id="warnings" class="list"></ul>
    <h2>停供事件</h2>
    <ul id="incidents" class="list"></ul>
  </section>

  <section class="panel">
    <h2>热点小区（今日）</h2>
    <table id="hot-communities" class="table"></table>
    <h2>热点换热站（今日）</h2>
    <table id="hot-stations" class="table"></table>
  </section>

  <section class="panel">
    <h2>今日诉求热词</h2>
    <div id="word-cloud" class="word-cloud"></div>
    <div id="chart-words" class="chart"></div>
  </section>

  <section class="panel">
    <h2 id="month-title">本月累计</h2>
    <div id="month" class="figures month"></div>
    <h2>最新诉求</h2>
    <ul id="recent" class="list recent"></ul>
  </section>
</main>
</body>
</html>
`;
}

export const DASHBOARD_CSS = `/* Noto Sans SC, served by kpi: used only for characters no installed font has (a PC without Chinese fonts). */
@font-face { font-family: "Noto Sans SC (kpi)"; src: url("/dashboard/assets/NotoSansSC-Regular.ttf") format("truetype"); font-display: swap; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: #0b1530; color: #dfe7ff; font: 14px/1.5 "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "Noto Sans SC (kpi)", sans-serif; }
h1 { margin: 0; font-size: 22px; letter-spacing: 2px; }
h2 { margin: 8px 0 6px; font-size: 15px; color: #9ecbff; font-weight: 600; }
button { font: inherit; cursor: pointer; }
.top { display: flex; justify-content: space-between; align-items: center; padding: 10px 18px; background: linear-gradient(90deg, #10224d, #0b1530); border-bottom: 1px solid #233152; }
.top-info { display: flex; gap: 14px; align-items: center; }
.scope { font-weight: 600; color: #fff; }
.clock { font-variant-numeric: tabular-nums; }
.muted { color: #8794b5; font-size: 12px; }
.status { padding: 2px 8px; border-radius: 10px; font-size: 12px; background: #3a3f55; }
.status[data-state="live"] { background: #1d6f42; }
.status[data-state="retry"], .status[data-state="connecting"] { background: #8a6d1d; }
.link { background: none; border: none; color: #9ecbff; }
.login { display: flex; justify-content: center; padding: 60px 16px; }
.login form { width: min(560px, 100%); background: #12214a; padding: 24px; border-radius: 8px; border: 1px solid #233152; }
.login textarea { width: 100%; background: #0b1530; color: #dfe7ff; border: 1px solid #34487a; border-radius: 4px; padding: 8px; font-family: monospace; }
.login button { margin-top: 10px; padding: 6px 24px; background: #2a6fdb; color: #fff; border: none; border-radius: 4px; }
.error { color: #ff8f8f; }
.board { display: grid; grid-template-columns: 1.1fr 1fr 1.2fr; gap: 12px; padding: 12px 18px; }
.figures { grid-column: 1 / -1; display: grid; grid-template-columns: repeat(8, 1fr); gap: 10px; }
.figures.month { grid-template-columns: repeat(5, 1fr); }
.figure { background: #12214a; border: 1px solid #233152; border-radius: 6px; padding: 8px 10px; text-align: center; }
.figure-value { font-size: 26px; font-weight: 700; color: #fff; font-variant-numeric: tabular-nums; }
.month .figure-value { font-size: 20px; }
.figure-label { color: #8fa2cc; font-size: 12px; }
.figure.bad .figure-value { color: #ff6b6b; }
.figure.warn .figure-value { color: #ffb347; }
.panel { background: #0f1d42; border: 1px solid #233152; border-radius: 6px; padding: 8px 12px; min-width: 0; }
.tiles { display: grid; grid-template-columns: repeat(4, 1fr); grid-auto-rows: 74px; gap: 6px; }
.tiles[data-kind="city"] [data-code="210900"] { grid-column: 2; grid-row: 1; }
.tiles[data-kind="city"] [data-code="211200"] { grid-column: 4; grid-row: 1; }
.tiles[data-kind="city"] [data-code="211300"] { grid-column: 1; grid-row: 2; }
.tiles[data-kind="city"] [data-code="210700"] { grid-column: 2; grid-row: 2; }
.tiles[data-kind="city"] [data-code="210100"] { grid-column: 3; grid-row: 2; }
.tiles[data-kind="city"] [data-code="210400"] { grid-column: 4; grid-row: 2; }
.tiles[data-kind="city"] [data-code="211400"] { grid-column: 1; grid-row: 3; }
.tiles[data-kind="city"] [data-code="211100"] { grid-column: 2; grid-row: 3; }
.tiles[data-kind="city"] [data-code="211000"] { grid-column: 3; grid-row: 3; }
.tiles[data-kind="city"] [data-code="210500"] { grid-column: 4; grid-row: 3; }
.tiles[data-kind="city"] [data-code="210800"] { grid-column: 2; grid-row: 4; }
.tiles[data-kind="city"] [data-code="210300"] { grid-column: 3; grid-row: 4; }
.tiles[data-kind="city"] [data-code="210600"] { grid-column: 4; grid-row: 4; }
.tiles[data-kind="city"] [data-code="210200"] { grid-column: 3; grid-row: 5; }
.tile { border-radius: 6px; padding: 4px 8px; border: 2px solid transparent; position: relative; }
.tile.alarm { border-color: #ff4d4d; box-shadow: 0 0 8px #ff4d4d; }
.tile-name { font-size: 13px; color: #e8eeff; }
.tile-today { font-size: 22px; font-weight: 700; color: #fff; line-height: 1.1; }
.tile-sub { font-size: 11px; color: #d7e0ff; opacity: .85; }
.tile-alarm { position: absolute; top: 3px; right: 6px; font-size: 11px; color: #ffd1d1; }
.legend { margin-top: 8px; font-size: 12px; color: #8fa2cc; display: flex; align-items: center; gap: 4px; flex-wrap: wrap; }
.legend i { display: inline-block; width: 16px; height: 10px; border-radius: 2px; }
.legend i[data-level="0"] { background: #1c2b4a; } .legend i[data-level="1"] { background: #1f5f8b; } .legend i[data-level="2"] { background: #2a9d8f; }
.legend i[data-level="3"] { background: #e9c46a; } .legend i[data-level="4"] { background: #f4a261; }
.alarm-key { margin-left: 10px; color: #ff8f8f; }
.chart { height: 250px; width: 100%; }
.chart.small { height: 150px; }
.list { list-style: none; margin: 0; padding: 0; max-height: 340px; overflow-y: auto; }
.list li { padding: 6px 4px; border-bottom: 1px solid #1d2b52; }
.list li.empty, td.empty, span.empty { color: #6f7ea3; }
.warning-head { display: flex; gap: 8px; align-items: center; }
.warning-subject { font-weight: 600; flex: 1; }
.warning-time { color: #8794b5; font-size: 12px; }
.warning-reason { color: #f1d7d7; margin-top: 2px; }
.warning-row.acknowledged { opacity: .6; }
.warning-row.acknowledged .warning-reason { color: #b9c2dc; }
.warning-ack { color: #80ed99; font-size: 12px; }
.row-message { color: #ff8f8f; font-size: 12px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; color: #111; font-weight: 600; }
.ack { padding: 1px 10px; background: #2a6fdb; color: #fff; border: none; border-radius: 3px; }
.ack:disabled { background: #44516f; }
.table { width: 100%; border-collapse: collapse; font-size: 13px; }
.table th { text-align: left; color: #8fa2cc; font-weight: 500; border-bottom: 1px solid #233152; }
.table td { padding: 3px 2px; border-bottom: 1px solid #1a2749; }
.word-cloud { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: baseline; min-height: 60px; padding: 4px 0; }
.word { color: #ffd59e; }
.recent .case-number { font-family: monospace; color: #9ecbff; }
.excerpt { color: #aab6d3; font-size: 12px; }
@media (max-width: 1200px) { .board { grid-template-columns: 1fr 1fr; } .figures { grid-template-columns: repeat(4, 1fr); } }
@media (max-width: 760px) { .board { grid-template-columns: 1fr; } .figures, .figures.month { grid-template-columns: repeat(2, 1fr); } }
`;

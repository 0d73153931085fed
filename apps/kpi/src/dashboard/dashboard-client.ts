/*
 * The live page's script (served as /dashboard/assets/dashboard.js), kept here as text so the
 * compiled service carries it (the service ships dist/ only). Plain browser JavaScript, no
 * framework: it trades the token (kept in sessionStorage, or taken once from #token=…) for a
 * stream ticket, opens the EventSource, keeps only pictures newer than the one it has (by epoch
 * and version), renders at most once per animation frame, and reconnects with a new ticket and
 * its Last-Event-ID after an error. Data reaches the DOM through textContent only.
 * dashboard-assets.spec.ts checks that it parses.
 */
export const DASHBOARD_CLIENT_JS = String.raw`'use strict';
(function () {
  var TOKEN_KEY = 'heating.dashboard.token';
  var RULE_COLORS = { surge: '#ff6b6b', overdue_wave: '#ffb347', satisfaction_dip: '#c792ea' };
  var LEVEL_COLORS = ['#1c2b4a', '#1f5f8b', '#2a9d8f', '#e9c46a', '#f4a261', '#e76f51'];
  var state = { snapshot: null, lastEventId: '', source: null, backoff: 1000, pending: false, charts: {}, retryTimer: null };
  var stats = { version: 0, renders: 0, renderMs: [], received: 0, ignored: 0, connects: 0 };
  window.__dashboard = stats;

  function $(id) { return document.getElementById(id); }

  /** Builds an element; data goes in through textContent only, never parsed as markup. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'text') node.textContent = String(v);
        else if (k === 'style') node.setAttribute('style', v);
        else if (k === 'onclick') node.addEventListener('click', v);
        else node.setAttribute(k, String(v));
      });
    }
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }

  function replace(container, nodes) {
    while (container.firstChild) container.removeChild(container.firstChild);
    nodes.forEach(function (n) { container.appendChild(n); });
  }

  function pad(n) { return n < 10 ? '0' + n : String(n); }
  /** Asia/Shanghai clock time of an ISO instant (UTC+8, no daylight saving). */
  function hhmm(iso) {
    var d = new Date(Date.parse(iso) + 8 * 3600 * 1000);
    return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
  }
  function fmt(v, unit) { return v === null || v === undefined ? '无数据' : String(v) + (unit || ''); }

  function setStatus(text, kind) {
    var s = $('status');
    s.textContent = text;
    s.setAttribute('data-state', kind);
  }

  // ---- token and login ----------------------------------------------------------------------
  function takeTokenFromFragment() {
    var m = /(?:^|[#&])token=([^&]+)/.exec(location.hash || '');
    if (m) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
      history.replaceState(null, '', location.pathname + location.search);
    }
  }
  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  function showLogin(message) {
    $('login').hidden = false;
    $('board').hidden = true;
    $('login-message').textContent = message || '';
    setStatus('未登录', 'off');
  }

  function login(ev) {
    ev.preventDefault();
    var value = $('token-input').value.trim();
    if (!value) { $('login-message').textContent = '请粘贴访问令牌'; return; }
    sessionStorage.setItem(TOKEN_KEY, value);
    $('token-input').value = '';
    start();
  }

  function logout() {
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.source) state.source.close();
    state.source = null;
    state.snapshot = null;
    showLogin('已退出');
  }

  // ---- the stream -------------------------------------------------------------------------------
  function start() {
    if (!token()) { showLogin(''); return; }
    $('login').hidden = true;
    $('board').hidden = false;
    connect();
  }

  function scheduleReconnect() {
    if (state.retryTimer) return;
    var wait = state.backoff;
    state.backoff = Math.min(state.backoff * 2, 15000);
    setStatus('连接中断，' + Math.round(wait / 1000) + ' 秒后重连…', 'retry');
    state.retryTimer = setTimeout(function () { state.retryTimer = null; connect(); }, wait);
  }

  function connect() {
    if (state.source) { state.source.close(); state.source = null; }
    var t = token();
    if (!t) { showLogin(''); return; }
    setStatus('正在连接…', 'connecting');
    fetch('/api/v1/dashboard/tickets', { method: 'POST', headers: { authorization: 'Bearer ' + t } })
      .then(function (res) {
        return res.json().then(function (body) { return { status: res.status, body: body }; }, function () { return { status: res.status, body: {} }; });
      })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) {
          sessionStorage.removeItem(TOKEN_KEY);
          showLogin((r.body && r.body.message) || '令牌无效或已过期，请重新登录');
          return;
        }
        if (r.status !== 201) { scheduleReconnect(); return; }
        var url = r.body.streamUrl + (state.lastEventId ? '&lastEventId=' + encodeURIComponent(state.lastEventId) : '');
        var source = new EventSource(url);
        state.source = source;
        stats.connects++;
        source.onopen = function () { state.backoff = 1000; setStatus('实时连接中', 'live'); };
        source.addEventListener('snapshot', function (e) { onSnapshot(e); });
        source.addEventListener('reauth', function () { source.close(); connect(); });
        // The ticket was for one stream only: every reconnect goes through a new ticket.
        source.onerror = function () { source.close(); if (state.source === source) state.source = null; scheduleReconnect(); };
      })
      .catch(function () { scheduleReconnect(); });
  }

  /** Keeps only a newer picture; renders at most once per frame however many arrive. */
  function onSnapshot(e) {
    stats.received++;
    var s = JSON.parse(e.data);
    var cur = state.snapshot;
    if (cur && cur.epoch === s.epoch && s.version <= cur.version) { stats.ignored++; return; }
    state.snapshot = s;
    state.lastEventId = e.lastEventId || (s.epoch + '-' + s.version);
    if (!state.pending) {
      state.pending = true;
      requestAnimationFrame(function () { state.pending = false; render(state.snapshot); });
    }
  }

  // ---- rendering ---------------------------------------------------------------------------------
  function chart(id) {
    if (!state.charts[id]) state.charts[id] = echarts.init($(id), null, { renderer: 'canvas' });
    return state.charts[id];
  }

  var AXIS = { axisLine: { lineStyle: { color: '#5b6b8c' } }, axisLabel: { color: '#aab6d3' }, splitLine: { lineStyle: { color: '#233152' } } };

  function render(s) {
    var t0 = performance.now();
    document.body.setAttribute('data-version', String(s.version));
    $('scope').textContent = s.scope.label;
    $('day').textContent = s.day;
    $('updated').textContent = '更新于 ' + hhmm(s.generatedAt);
    renderFigures(s);
    renderTiles(s);
    renderCharts(s);
    renderWarnings(s);
    renderIncidents(s);
    renderHot(s);
    renderWords(s);
    renderMonth(s);
    renderRecent(s);
    var ms = performance.now() - t0;
    stats.version = s.version;
    stats.renders++;
    stats.renderMs.push(ms);
    if (stats.renderMs.length > 2000) stats.renderMs.shift();
  }

  function figure(label, value, cls) {
    return el('div', { class: 'figure ' + (cls || '') }, [el('div', { class: 'figure-value', text: value }), el('div', { class: 'figure-label', text: label })]);
  }

  function renderFigures(s) {
    replace($('figures'), [
      figure('今日受理', s.intake.total, ''),
      figure('其中投诉/举报', s.intake.complaints, ''),
      figure('咨询', s.intake.consultations, ''),
      figure('在办工单', s.cases.open, ''),
      figure('超期未反馈', s.cases.overdue, s.cases.overdue > 0 ? 'bad' : ''),
      figure('待人工分转', s.cases.awaitingDispatch, ''),
      figure('未确认预警', s.warnings.active, s.warnings.active > 0 ? 'bad' : ''),
      figure('停供事件', s.incidents.length, s.incidents.length > 0 ? 'warn' : ''),
    ]);
  }

  function renderTiles(s) {
    $('tiles-title').textContent = s.tiles.kind === 'city' ? '全省 14 市 · 今日负荷' : '各区县 · 今日负荷';
    var grid = $('tiles');
    grid.setAttribute('data-kind', s.tiles.kind);
    replace(grid, s.tiles.items.map(function (t) {
      return el('div', {
        class: 'tile' + (t.warnings > 0 ? ' alarm' : ''),
        'data-code': t.code,
        'data-level': t.level,
        style: 'background:' + LEVEL_COLORS[Math.min(t.level, 5)],
        title: t.name + '：今日受理 ' + t.today + '，在办 ' + t.open + '，超期 ' + t.overdue + '，未确认预警 ' + t.warnings,
      }, [
        el('div', { class: 'tile-name', text: t.name }),
        el('div', { class: 'tile-today', text: t.today }),
        el('div', { class: 'tile-sub', text: '在办 ' + t.open + ' · 超期 ' + t.overdue }),
        t.warnings > 0 ? el('div', { class: 'tile-alarm', text: '预警 ' + t.warnings }) : null,
      ]);
    }));
  }

  function renderCharts(s) {
    var cats = s.intake.byCategory;
    chart('chart-category').setOption({
      animation: false,
      grid: { left: 90, right: 24, top: 8, bottom: 24 },
      tooltip: { trigger: 'axis' },
      xAxis: Object.assign({ type: 'value', minInterval: 1 }, AXIS),
      yAxis: Object.assign({ type: 'category', inverse: true, data: cats.map(function (c) { return c.label; }) }, AXIS, { axisLabel: { color: '#aab6d3', interval: 0 } }),
      series: [{ type: 'bar', barMaxWidth: 18, data: cats.map(function (c) { return c.count; }), itemStyle: { color: '#4ea8de' }, label: { show: true, position: 'right', color: '#dfe7ff' } }],
    });
    var hours = [];
    for (var h = 0; h < 24; h++) hours.push(pad(h) + '时');
    chart('chart-hour').setOption({
      animation: false,
      grid: { left: 36, right: 16, top: 12, bottom: 24 },
      tooltip: { trigger: 'axis' },
      xAxis: Object.assign({ type: 'category', data: hours }, AXIS),
      yAxis: Object.assign({ type: 'value', minInterval: 1 }, AXIS),
      series: [{ type: 'line', smooth: true, areaStyle: { opacity: 0.25 }, data: s.intake.byHour, itemStyle: { color: '#80ed99' } }],
    });
    var words = s.words.slice(0, 15);
    chart('chart-words').setOption({
      animation: false,
      grid: { left: 70, right: 24, top: 8, bottom: 8 },
      xAxis: Object.assign({ type: 'value', show: false }, AXIS),
      yAxis: Object.assign({ type: 'category', inverse: true, data: words.map(function (w) { return w.word; }) }, AXIS, { axisLabel: { color: '#aab6d3', interval: 0 } }),
      series: [{ type: 'bar', barMaxWidth: 18, data: words.map(function (w) { return w.count; }), itemStyle: { color: '#f4a261' }, label: { show: true, position: 'right', color: '#dfe7ff' } }],
    });
  }

  function acknowledge(id, button, messageNode) {
    button.disabled = true;
    button.textContent = '确认中…';
    fetch('/api/v1/dashboard/warnings/' + encodeURIComponent(id) + '/acknowledge', {
      method: 'POST',
      headers: { authorization: 'Bearer ' + token(), 'content-type': 'application/json' },
      body: '{}',
    }).then(function (res) {
      return res.json().then(function (body) {
        if (res.status === 200) { button.textContent = '已确认'; return; }
        button.disabled = false;
        button.textContent = '确认';
        messageNode.textContent = body.message || '确认失败';
      });
    }).catch(function () {
      button.disabled = false;
      button.textContent = '确认';
      messageNode.textContent = '网络错误，确认未提交';
    });
  }

  function renderWarnings(s) {
    var items = s.warnings.items;
    $('warnings-count').textContent = s.warnings.active > 0 ? '未确认 ' + s.warnings.active : '无未确认预警';
    if (items.length === 0) { replace($('warnings'), [el('li', { class: 'empty', text: '暂无预警' })]); return; }
    replace($('warnings'), items.map(function (w) {
      var acked = w.acknowledgedAt !== null;
      var message = el('div', { class: 'row-message' });
      var button = acked ? null : el('button', { type: 'button', class: 'ack', text: '确认' });
      if (button) button.addEventListener('click', function () { acknowledge(w.id, button, message); });
      return el('li', { class: 'warning-row' + (acked ? ' acknowledged' : ''), 'data-id': w.id, 'data-rule': w.rule, 'data-acknowledged': acked ? 'true' : 'false' }, [
        el('div', { class: 'warning-head' }, [
          el('span', { class: 'badge', style: 'background:' + (RULE_COLORS[w.rule] || '#888'), text: w.ruleLabel }),
          el('span', { class: 'warning-subject', text: w.subjectLabel + ' · ' + w.subjectName }),
          el('span', { class: 'warning-time', text: hhmm(w.raisedAt) }),
          button,
        ]),
        el('div', { class: 'warning-reason', text: w.reason }),
        acked ? el('div', { class: 'warning-ack', text: '已确认（' + w.acknowledgedBy + '，' + hhmm(w.acknowledgedAt) + '）' + (w.note ? '：' + w.note : '') }) : null,
        message,
      ]);
    }));
  }

  var INCIDENT_LABELS = { proposed: '疑似大面积停供（待确认）', open: '停供处置中' };
  function renderIncidents(s) {
    if (s.incidents.length === 0) { replace($('incidents'), [el('li', { class: 'empty', text: '无进行中的停供事件' })]); return; }
    replace($('incidents'), s.incidents.map(function (i) {
      return el('li', { class: 'incident-row', 'data-id': i.incidentId }, [
        el('span', { class: 'badge', style: 'background:#e76f51', text: INCIDENT_LABELS[i.status] || i.status }),
        el('span', { text: ' ' + i.title }),
        el('div', { class: 'muted', text: '换热站 ' + i.stationIds.length + ' 个 · 小区 ' + i.communityIds.length + ' 个' + (i.linkedCases !== undefined ? ' · 关联工单 ' + i.linkedCases + ' 件' : '') + (i.expectedRestorationAt ? ' · 预计 ' + hhmm(i.expectedRestorationAt) + ' 恢复' : '') }),
      ]);
    }));
  }

  function table(container, head, rows) {
    var thead = el('tr', null, head.map(function (h) { return el('th', { text: h }); }));
    var body = rows.length === 0 ? [el('tr', null, [el('td', { class: 'empty', colspan: head.length, text: '今日暂无' })])] : rows.map(function (r) { return el('tr', null, r.map(function (c) { return el('td', { text: c }); })); });
    replace(container, [thead].concat(body));
  }

  function renderHot(s) {
    table($('hot-communities'), ['小区', '区县', '户数', '件数'], s.hotCommunities.map(function (m) { return [m.name, m.district, m.households, m.cases]; }));
    table($('hot-stations'), ['换热站', '件数'], s.hotStations.map(function (m) { return [m.name, m.cases]; }));
  }

  function renderWords(s) {
    var max = s.words.length ? s.words[0].count : 1;
    replace($('word-cloud'), s.words.length === 0 ? [el('span', { class: 'empty', text: '今日暂无' })] : s.words.map(function (w) {
      var size = 12 + Math.round(16 * w.count / max);
      return el('span', { class: 'word', style: 'font-size:' + size + 'px', title: w.count + ' 件', text: w.word });
    }));
  }

  var INDICATORS = [
    ['feedbackRate', '反馈率', '%'],
    ['handlingDays', '办件天数', ' 天'],
    ['onTimeDispatchRate', '按时分转率', '%'],
    ['completionRate', '办结率', '%'],
    ['satisfactionRate', '满意率', '%'],
  ];
  function renderMonth(s) {
    var m = s.monthToDate;
    $('month-title').textContent = m ? m.month + ' 本月累计 · ' + m.unit + '（分转 ' + m.dispatched + ' 件）' : '本月累计';
    replace($('month'), INDICATORS.map(function (i) {
      return figure(i[1], m ? fmt(m.indicators[i[0]], i[2]) : '无数据', '');
    }));
  }

  function renderRecent(s) {
    if (s.recent.length === 0) { replace($('recent'), [el('li', { class: 'empty', text: '今日暂无诉求' })]); return; }
    replace($('recent'), s.recent.map(function (r) {
      return el('li', { class: 'recent-row', 'data-case-number': r.caseNumber }, [
        el('span', { class: 'muted', text: hhmm(r.receivedAt) + ' ' }),
        el('span', { class: 'case-number', text: r.caseNumber }),
        el('span', { text: ' ' + r.city + r.district + ' ' + r.community + ' · ' + r.type + ' · ' + r.category }),
        el('div', { class: 'excerpt', text: r.excerpt }),
      ]);
    }));
  }

  function tick() {
    var d = new Date(Date.now() + 8 * 3600 * 1000);
    $('clock').textContent = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
  }

  window.addEventListener('resize', function () { Object.keys(state.charts).forEach(function (k) { state.charts[k].resize(); }); });
  var initialised = false;
  function init() {
    if (initialised) return;
    initialised = true;
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    tick();
    setInterval(tick, 1000);
    takeTokenFromFragment();
    start();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
`;

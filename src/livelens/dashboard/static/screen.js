/* livelens live screen: renders the LiveFrame JSON pushed on /api/stream (event: frame).
 *
 * Plain ES2020, no build step. Each chart is created once and updated in place with setOption;
 * the page keeps only the latest frame per session (the frame itself is bounded by the server).
 * Data text reaches the DOM through textContent only; tooltips (HTML) escape it first.
 */
'use strict';

(() => {
  const LANG_KEY = 'livelens.lang';
  const STALE_MS = 10000; // auto mode moves to another session when the shown one is this quiet
  const MAX_SESSIONS = 50; // sessions remembered for the picker
  const FRESH_MS = 4000; // how long a newly arrived insight stays highlighted
  const CONCERN_WINDOW_MIN = 5; // livelens.dashboard.frame.CONCERN_WINDOW

  const I18N = {
    zh: {
      pageTitle: 'livelens 直播大屏',
      title: '直播实时数据大屏',
      session: '场次',
      auto: '自动（最新场次）',
      sessionClock: '开播时长',
      minutes: (m) => `${m} 分钟`,
      connConnecting: '连接中',
      connOpen: '实时推送中',
      connClosed: '已断开',
      kpiOnline: '在线人数',
      kpiPeak: '峰值在线',
      kpiUnique: '累计观众',
      kpiCommentsPerMin: '评论 / 分钟',
      kpiGmvPerMin: 'GMV / 分钟',
      kpiOrders: '订单数',
      kpiGmv: '累计 GMV',
      vsLastMinute: '较上分钟',
      atMinute: (m) => `第 ${m} 分钟`,
      likes: '点赞',
      total: '累计',
      lastFullMinute: (m) => `第 ${m} 分钟（上一整分钟）`,
      conversion: '下单转化',
      avgOrder: '客单价',
      funnel: '转化漏斗',
      funnelNote: '按去重观众',
      stageEntered: '进入直播间',
      stageClicked: '点击商品',
      stageCarted: '加入购物车',
      stageOrdered: '下单',
      ofPrevious: '上一步的',
      products: '商品 GMV 排行',
      productsNote: '前 10 名',
      clicks: '点击',
      orders: '订单',
      noProductData: '暂无商品数据',
      trend: '实时趋势',
      trendNote: '底色为在播主播 · 琥珀色为促销',
      seriesOnline: '在线人数',
      seriesComments: '评论/分钟',
      seriesGmv: 'GMV/分钟',
      minuteAxis: (m) => `${m}分`,
      persona: '主播',
      promo: '促销',
      timeline: '主播与促销时间线',
      hotWords: '热词',
      hotWordsNote: '近几分钟明显多于平时的词',
      noHotWords: '近几分钟没有突出的热词',
      concerns: '观众关注点',
      basisQuestions: `占近 ${CONCERN_WINDOW_MIN} 分钟提问的比例`,
      basisComments: `占近 ${CONCERN_WINDOW_MIN} 分钟评论的比例`,
      noConcerns: `近 ${CONCERN_WINDOW_MIN} 分钟暂无相关提问`,
      previous: '前一时段',
      count: '条数',
      share: '占比',
      isNew: '新',
      insights: '实时洞察',
      insightsCount: (n) => `共 ${n} 条`,
      noInsights: '暂无洞察，数据积累中…',
      since: (m) => `第 ${m} 分钟起`,
      waiting: '等待直播数据…',
      kinds: {
        top_product: '爆款商品',
        peak_window: '互动高峰',
        retention_drop: '观众流失',
        funnel_leak: '转化漏损',
        persona_ranking: '主播对比',
        promo_effect: '促销效果',
        top_concern: '主要关注点',
        licence_violation: '合规警告',
      },
      nowcast: '需求预测',
      nowcastNote: '未来 15 分钟 · 80% 区间',
      nowcastFrom: (m) => `第 ${m} 分钟起的预测（每分钟更新）`,
      noNowcasts: '满一分钟后开始预测',
      nowcastOrders: (point, lo, hi) => `${point} 单（${lo}–${hi}）`,
      alerts: '异常预警',
      alertsOpen: (n) => `${n} 条未处理`,
      noAlerts: '各项指标都在正常区间',
      metricNames: { online: '在线人数', gmv: 'GMV/分钟', conversion: '转化率' },
      above: '高于预期',
      below: '低于预期',
      ack: '确认',
      acked: (who) => `已确认 · ${who}`,
      recommendations: '决策建议',
      autonomySuggest: '建议模式',
      autonomyAuto: '自动执行',
      noRecommendations: '暂无建议：剧本条件尚未满足',
      actionNames: {
        flash_discount: '限时折扣',
        pin_product: '讲解爆款',
        switch_persona: '切换形象',
        coupon_drop: '发优惠券',
        lucky_bag: '福袋',
        script_cue: '话术提示',
      },
      accept: '采纳',
      reject: '拒绝',
      fates: {
        pending: '待决策',
        accepted: '已采纳',
        rejected: '已拒绝',
        auto_executed: '已自动执行',
        expired: '已过期',
      },
      colon: '：',
      uplift: '预计提升',
      unknown: '未知',
      upliftMetric: 'GMV/分钟',
      upliftFrom_ledger: '台账实测',
      upliftFrom_model: '模型估计',
      decideWithin: (m) => `${m} 分钟内决策`,
      promoLeft: (time) => `促销剩余 ${time}`,
      why: '为什么',
      evidence: '依据',
      checkCondition: '条件',
      observed: '实际',
      checkLicence: '形象授权',
      checkPrice: '价格',
      floorPrice: '底价',
      checkUplift: '效果',
      passed: '通过',
      failed: '未通过',
      qa: '观众问答',
      noAnswers: '暂无问答',
      answerStates: { ai: 'AI 已答', operator: '人工已答', escalated: '待人工', suggested: '待审核' },
      askers: (n) => `${n} 人问`,
      waitingHuman: (n) => `${n} 条待人工`,
      forbidden: '当前令牌无权执行此操作',
      actionFailed: '操作失败',
    },
    en: {
      pageTitle: 'livelens live screen',
      title: 'Live Commerce Dashboard',
      session: 'Session',
      auto: 'Auto (latest)',
      sessionClock: 'On air',
      minutes: (m) => `${m} min`,
      connConnecting: 'Connecting',
      connOpen: 'Live',
      connClosed: 'Disconnected',
      kpiOnline: 'Online now',
      kpiPeak: 'Peak online',
      kpiUnique: 'Unique viewers',
      kpiCommentsPerMin: 'Comments / min',
      kpiGmvPerMin: 'GMV / min',
      kpiOrders: 'Orders',
      kpiGmv: 'GMV total',
      vsLastMinute: 'vs last minute',
      atMinute: (m) => `at minute ${m}`,
      likes: 'Likes',
      total: 'Total',
      lastFullMinute: (m) => `minute ${m} (last full minute)`,
      conversion: 'Conversion',
      avgOrder: 'Avg order',
      funnel: 'Conversion funnel',
      funnelNote: 'distinct viewers',
      stageEntered: 'Entered',
      stageClicked: 'Clicked a product',
      stageCarted: 'Added to cart',
      stageOrdered: 'Ordered',
      ofPrevious: 'of previous',
      products: 'Products by GMV',
      productsNote: 'top 10',
      clicks: 'Clicks',
      orders: 'Orders',
      noProductData: 'No product data',
      trend: 'Live trend',
      trendNote: 'bands: host on air · amber: promotion',
      seriesOnline: 'Online',
      seriesComments: 'Comments/min',
      seriesGmv: 'GMV/min',
      minuteAxis: (m) => `${m}m`,
      persona: 'Host',
      promo: 'Promo',
      timeline: 'Hosts and promotions',
      hotWords: 'Hot words',
      hotWordsNote: 'said far more than usual in the last minutes',
      noHotWords: 'No words stand out in the last few minutes',
      concerns: 'Viewer concerns',
      basisQuestions: `share of questions, last ${CONCERN_WINDOW_MIN} min`,
      basisComments: `share of comments, last ${CONCERN_WINDOW_MIN} min`,
      noConcerns: `No concerns raised in the last ${CONCERN_WINDOW_MIN} min`,
      previous: 'Before',
      count: 'Count',
      share: 'Share',
      isNew: 'new',
      insights: 'Live insights',
      insightsCount: (n) => `${n} total`,
      noInsights: 'No insights yet: collecting data…',
      since: (m) => `since minute ${m}`,
      waiting: 'Waiting for live data…',
      kinds: {
        top_product: 'Top product',
        peak_window: 'Engagement peak',
        retention_drop: 'Viewers leaving',
        funnel_leak: 'Funnel leak',
        persona_ranking: 'Host ranking',
        promo_effect: 'Promo effect',
        top_concern: 'Top concern',
        licence_violation: 'Compliance',
      },
      nowcast: 'Demand nowcast',
      nowcastNote: 'next 15 min · 80% range',
      nowcastFrom: (m) => `forecast from minute ${m} (updated every minute)`,
      noNowcasts: 'Forecasts start when a minute completes',
      nowcastOrders: (point, lo, hi) => `${point} orders (${lo}–${hi})`,
      alerts: 'Anomaly alerts',
      alertsOpen: (n) => `${n} open`,
      noAlerts: 'Every metric is within its band',
      metricNames: { online: 'Online', gmv: 'GMV/min', conversion: 'Conversion' },
      above: 'above expected',
      below: 'below expected',
      ack: 'Acknowledge',
      acked: (who) => `acknowledged · ${who}`,
      recommendations: 'Recommendations',
      autonomySuggest: 'Suggest',
      autonomyAuto: 'Auto',
      noRecommendations: 'No recommendation: no playbook applies yet',
      actionNames: {
        flash_discount: 'Flash discount',
        pin_product: 'Pin hot product',
        switch_persona: 'Switch persona',
        coupon_drop: 'Coupon drop',
        lucky_bag: 'Lucky bag',
        script_cue: 'Script cue',
      },
      accept: 'Accept',
      reject: 'Reject',
      fates: {
        pending: 'pending',
        accepted: 'accepted',
        rejected: 'rejected',
        auto_executed: 'auto-executed',
        expired: 'expired',
      },
      colon: ': ',
      uplift: 'Expected uplift',
      unknown: 'unknown',
      upliftMetric: 'GMV/min',
      upliftFrom_ledger: 'measured',
      upliftFrom_model: 'modelled',
      decideWithin: (m) => `decide within ${m} min`,
      promoLeft: (time) => `promo ends in ${time}`,
      why: 'Why',
      evidence: 'Evidence',
      checkCondition: 'condition',
      observed: 'observed',
      checkLicence: 'likeness licence',
      checkPrice: 'price',
      floorPrice: 'floor',
      checkUplift: 'uplift',
      passed: 'passed',
      failed: 'failed',
      qa: 'Live Q&A',
      noAnswers: 'No questions answered yet',
      answerStates: { ai: 'AI answered', operator: 'Host answered', escalated: 'Needs a person', suggested: 'To approve' },
      askers: (n) => `${n} asked`,
      waitingHuman: (n) => `${n} waiting for a person`,
      forbidden: 'This token may not do that',
      actionFailed: 'Action failed',
    },
  };

  const COLOR = {
    online: '#3ba0ff',
    comments: '#36d6b5',
    gmv: '#ffb547',
    text: '#e6edf7',
    muted: '#8b9ab4',
    faint: '#5b6a85',
    grid: 'rgba(139, 154, 180, 0.14)',
    up: '#ff6b6b',
    down: '#3ddc97',
  };
  const PERSONA_COLORS = ['#7c6cff', '#2fc4ff', '#ff7aa8', '#5ee08a', '#c28bff', '#4fd1c5'];
  const FUNNEL_COLORS = ['#2f7bf5', '#3ba0ff', '#36c5d6', '#ffb547'];
  const HOTWORD_COLORS = ['#ffb547', '#7cc4ff', '#36d6b5', '#ff8fab', '#c6b6ff', '#e6edf7'];
  const FONT = '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  const CURRENCY_SYMBOLS = { CNY: '¥', RMB: '¥', USD: '$', EUR: '€', GBP: '£', HKD: 'HK$', JPY: '¥' };

  const $ = (id) => document.getElementById(id);
  const query = new URLSearchParams(window.location.search);

  const state = {
    lang: storedLang(),
    pinned: query.get('session') || null, // the session asked for; null: follow the latest
    shown: null, // the session on screen
    sessions: new Map(), // session_id -> {frame, receivedAt, room}
    source: null,
    renderQueued: false,
    renderedSession: null,
    insightNodes: new Map(), // key -> <li>, only for the insights of the shown frame
    hotWordsKey: '',
    pickerKey: '',
    rowNodes: new Map(), // list id -> Map(key -> <li>), for the decision panels of the shown frame
  };

  // drawn: [event count, wall-clock ms] of the latest frames painted (bench_live_screen --browser
  // reads it to time an event from its ingest to the screen); bounded
  window.livelens = { framesReceived: 0, lastFrame: null, lang: state.lang, session: null, drawn: [] };
  const DRAWN_KEPT = 2000;

  function storedLang() {
    try {
      const saved = window.localStorage.getItem(LANG_KEY);
      if (saved === 'zh' || saved === 'en') return saved;
    } catch (_error) {
      // storage can be unavailable (privacy mode); the default applies
    }
    return 'zh';
  }

  const t = (key) => I18N[state.lang][key];

  // -- formatting ----------------------------------------------------------------------------

  function trimZeros(text) {
    return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
  }

  function fmtCount(n) {
    if (n === null || n === undefined || Number.isNaN(n)) return '—';
    const abs = Math.abs(n);
    if (state.lang === 'zh') {
      if (abs >= 1e8) return `${trimZeros((n / 1e8).toFixed(2))}亿`;
      if (abs >= 1e4) return `${trimZeros((n / 1e4).toFixed(2))}万`;
      return String(Math.round(n));
    }
    if (abs >= 1e6) return `${trimZeros((n / 1e6).toFixed(2))}M`;
    return Math.round(n).toLocaleString('en-US');
  }

  function currencySymbol(currency) {
    if (!currency) return '¥';
    return CURRENCY_SYMBOLS[currency] || `${currency} `;
  }

  /** Money in minor units (fen): ¥ with 2 decimals, or 万 (K / M in English) when large. */
  function fmtMoney(minor, currency) {
    const sym = currencySymbol(currency);
    const major = (minor || 0) / 100;
    const abs = Math.abs(major);
    if (state.lang === 'zh') {
      if (abs >= 1e8) return `${sym}${(major / 1e8).toFixed(2)}亿`;
      if (abs >= 1e4) return `${sym}${(major / 1e4).toFixed(2)}万`;
    } else {
      if (abs >= 1e6) return `${sym}${(major / 1e6).toFixed(2)}M`;
      if (abs >= 1e4) return `${sym}${(major / 1e3).toFixed(1)}K`;
    }
    const locale = state.lang === 'zh' ? 'zh-CN' : 'en-US';
    return sym + major.toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  /** Axis labels: money in major units, short. */
  function fmtMoneyAxis(major, currency) {
    const sym = currencySymbol(currency);
    const abs = Math.abs(major);
    if (state.lang === 'zh' && abs >= 1e4) return `${sym}${trimZeros((major / 1e4).toFixed(1))}万`;
    if (state.lang === 'en' && abs >= 1e3) return `${sym}${trimZeros((major / 1e3).toFixed(1))}K`;
    return `${sym}${Math.round(major)}`;
  }

  const fmtPct = (x) => `${(x * 100).toFixed(x >= 0.1 || x === 0 ? 0 : 1)}%`;

  function esc(text) {
    return String(text)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;');
  }

  function setNodeText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }

  function setText(id, text) {
    setNodeText($(id), text);
  }

  /** A "↑ 12" / "↓ 3" change with its colour, as DOM nodes (no markup from data). */
  function setDelta(id, label, delta) {
    const el = $(id);
    el.textContent = '';
    if (delta === null) return;
    el.append(`${label} `);
    const span = document.createElement('span');
    span.className = delta > 0 ? 'up' : delta < 0 ? 'down' : '';
    span.textContent = `${delta > 0 ? '↑' : delta < 0 ? '↓' : '→'} ${fmtCount(Math.abs(delta))}`;
    el.append(span);
  }

  function withAlpha(hex, alpha) {
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }

  // -- charts: created once, updated in place ------------------------------------------------

  const charts = {};

  const baseTooltip = {
    backgroundColor: 'rgba(10, 18, 34, 0.94)',
    borderColor: 'rgba(86, 140, 255, 0.35)',
    textStyle: { color: COLOR.text, fontFamily: FONT, fontSize: 13 },
    confine: true,
  };

  const axisCommon = {
    axisLine: { lineStyle: { color: 'rgba(139, 154, 180, 0.35)' } },
    axisTick: { show: false },
    axisLabel: { color: COLOR.muted, fontFamily: FONT, fontSize: 12 },
    splitLine: { lineStyle: { color: COLOR.grid, type: 'dashed' } },
  };

  // Frames come several times a second: updates animate briefly (lines) or not at all (rankings,
  // where a bar sliding to its new rank would never come to rest).
  function makeChart(id, option, updateMs = 250) {
    const el = $(id);
    const chart = window.echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption({
      backgroundColor: 'transparent',
      textStyle: { fontFamily: FONT, color: COLOR.text },
      animationDurationUpdate: updateMs,
      ...option,
    });
    if (window.ResizeObserver) new ResizeObserver(() => chart.resize()).observe(el);
    return chart;
  }

  function initCharts() {
    charts.trend = makeChart('chart-trend', {
      grid: { left: 50, right: 118, top: 40, bottom: 26 },
      legend: {
        top: 2,
        left: 0,
        itemWidth: 16,
        itemHeight: 8,
        textStyle: { color: COLOR.muted, fontSize: 13 },
      },
      tooltip: { ...baseTooltip, trigger: 'axis', formatter: trendTooltip },
      xAxis: {
        type: 'value',
        minInterval: 1,
        ...axisCommon,
        splitLine: { show: false },
        axisLabel: { ...axisCommon.axisLabel, showMaxLabel: false, formatter: (v) => t('minuteAxis')(v) },
      },
      yAxis: [
        {
          type: 'value',
          position: 'left',
          ...axisCommon,
          axisLabel: { ...axisCommon.axisLabel, color: COLOR.online, formatter: (v) => fmtCount(v) },
        },
        {
          type: 'value',
          position: 'right',
          ...axisCommon,
          splitLine: { show: false },
          axisLabel: { ...axisCommon.axisLabel, color: COLOR.comments },
        },
        {
          type: 'value',
          position: 'right',
          offset: 48,
          ...axisCommon,
          splitLine: { show: false },
          axisLabel: {
            ...axisCommon.axisLabel,
            color: COLOR.gmv,
            formatter: (v) => fmtMoneyAxis(v, currentCurrency()),
          },
        },
      ],
      series: [
        {
          id: 'online',
          type: 'line',
          yAxisIndex: 0,
          smooth: 0.35,
          smoothMonotone: 'x',
          showSymbol: false,
          lineStyle: { width: 2.5, color: COLOR.online },
          itemStyle: { color: COLOR.online },
          areaStyle: {
            color: {
              type: 'linear', x: 0, y: 0, x2: 0, y2: 1,
              colorStops: [
                { offset: 0, color: withAlpha(COLOR.online, 0.35) },
                { offset: 1, color: withAlpha(COLOR.online, 0.02) },
              ],
            },
          },
          data: [],
          markArea: {
            silent: true,
            label: { show: true, position: 'insideTop', distance: 4, fontSize: 12, fontFamily: FONT },
            data: [],
          },
          z: 3,
        },
        {
          id: 'comments',
          type: 'line',
          yAxisIndex: 1,
          smooth: 0.35,
          smoothMonotone: 'x',
          showSymbol: false,
          lineStyle: { width: 2, color: COLOR.comments },
          itemStyle: { color: COLOR.comments },
          data: [],
          markArea: {
            silent: true,
            itemStyle: {
              color: withAlpha(COLOR.gmv, 0.13),
              borderColor: withAlpha(COLOR.gmv, 0.7),
              borderWidth: 1,
              borderType: 'dashed',
            },
            label: {
              show: true,
              position: 'insideBottom',
              distance: 6,
              color: COLOR.gmv,
              fontSize: 12,
              fontFamily: FONT,
              overflow: 'truncate',
            },
            data: [],
          },
          z: 4,
        },
        {
          id: 'gmv',
          type: 'line',
          yAxisIndex: 2,
          smooth: 0.35,
          smoothMonotone: 'x',
          showSymbol: false,
          lineStyle: { width: 2, color: COLOR.gmv },
          itemStyle: { color: COLOR.gmv },
          data: [],
          markLine: {
            silent: true,
            symbol: ['none', 'triangle'],
            symbolSize: 8,
            lineStyle: { color: COLOR.gmv, type: 'solid', width: 1.5 },
            label: { show: false },
            data: [],
          },
          z: 5,
        },
      ],
    });

    charts.funnel = makeChart('chart-funnel', {
      tooltip: { ...baseTooltip, trigger: 'item', formatter: funnelTooltip },
      series: [
        {
          id: 'funnel',
          type: 'funnel',
          sort: 'none',
          left: '6%',
          right: '6%',
          top: 12,
          bottom: 8,
          minSize: '30%',
          maxSize: '100%',
          min: 0,
          gap: 3,
          label: {
            show: true,
            position: 'inside',
            color: '#fff',
            fontSize: 13,
            fontFamily: FONT,
            lineHeight: 18,
            formatter: funnelLabel,
          },
          itemStyle: { borderWidth: 0 },
          emphasis: { label: { fontSize: 14 } },
          data: [],
        },
      ],
    });

    charts.products = makeChart('chart-products', {
      grid: { left: 150, right: 84, top: 6, bottom: 6 },
      tooltip: { ...baseTooltip, trigger: 'item', formatter: productTooltip },
      xAxis: { type: 'value', show: false, max: (extent) => extent.max * 1.05 || 1 },
      yAxis: {
        type: 'category',
        inverse: true,
        data: [],
        ...axisCommon,
        axisLine: { show: false },
        axisLabel: {
          ...axisCommon.axisLabel,
          color: COLOR.text,
          fontSize: 13,
          width: 140,
          overflow: 'truncate',
        },
      },
      series: [
        {
          id: 'products',
          type: 'bar',
          barMaxWidth: 18,
          barCategoryGap: '38%',
          showBackground: true,
          backgroundStyle: { color: 'rgba(139, 154, 180, 0.07)', borderRadius: 4 },
          itemStyle: {
            borderRadius: [0, 4, 4, 0],
            color: {
              type: 'linear', x: 0, y: 0, x2: 1, y2: 0,
              colorStops: [
                { offset: 0, color: '#2f6fe0' },
                { offset: 1, color: '#36d6b5' },
              ],
            },
          },
          label: {
            show: true,
            position: 'right',
            color: COLOR.gmv,
            fontSize: 13,
            fontWeight: 600,
            formatter: (p) => fmtMoney(p.data.gmv_minor, currentCurrency()),
          },
          data: [],
        },
      ],
    }, 0);

    charts.concerns = makeChart('chart-concerns', {
      grid: { left: 118, right: 86, top: 8, bottom: 6 },
      tooltip: { ...baseTooltip, trigger: 'item', formatter: concernTooltip },
      xAxis: { type: 'value', show: false, max: (extent) => Math.max(extent.max * 1.05, 0.1) },
      yAxis: {
        type: 'category',
        inverse: true,
        data: [],
        ...axisCommon,
        axisLine: { show: false },
        axisLabel: {
          ...axisCommon.axisLabel,
          color: COLOR.text,
          fontSize: 13,
          width: 140,
          overflow: 'truncate',
        },
      },
      series: [
        {
          id: 'concerns',
          type: 'bar',
          barMaxWidth: 16,
          barCategoryGap: '40%',
          showBackground: true,
          backgroundStyle: { color: 'rgba(139, 154, 180, 0.07)', borderRadius: 4 },
          itemStyle: {
            borderRadius: [0, 4, 4, 0],
            color: {
              type: 'linear', x: 0, y: 0, x2: 1, y2: 0,
              colorStops: [
                { offset: 0, color: '#1f9e8a' },
                { offset: 1, color: '#36d6b5' },
              ],
            },
          },
          label: {
            show: true,
            position: 'right',
            color: COLOR.text,
            fontSize: 13,
            formatter: concernLabel,
            rich: {
              up: { color: COLOR.up, fontWeight: 700, fontSize: 14 },
              down: { color: COLOR.down, fontWeight: 700, fontSize: 14 },
              flat: { color: COLOR.faint, fontSize: 13 },
              fresh: { color: COLOR.gmv, fontSize: 12 },
            },
          },
          data: [],
        },
      ],
    }, 0);

    charts.timeline = makeChart('chart-timeline', {
      grid: { left: 50, right: 118, top: 4, bottom: 22 },
      tooltip: { ...baseTooltip, trigger: 'item', formatter: timelineTooltip },
      xAxis: {
        type: 'value',
        minInterval: 1,
        ...axisCommon,
        splitLine: { show: false },
        axisLabel: { ...axisCommon.axisLabel, showMaxLabel: false, formatter: (v) => t('minuteAxis')(v) },
      },
      yAxis: {
        type: 'category',
        inverse: true,
        data: [],
        ...axisCommon,
        axisLine: { show: false },
        splitLine: { show: false },
        axisLabel: { ...axisCommon.axisLabel, color: COLOR.muted },
      },
      series: [
        {
          id: 'timeline',
          type: 'custom',
          renderItem: renderTimelineItem,
          encode: { x: [0, 1], y: 2 },
          data: [],
        },
      ],
    }, 0);
  }

  function currentFrame() {
    const entry = state.shown ? state.sessions.get(state.shown) : null;
    return entry ? entry.frame : null;
  }

  function currentCurrency() {
    const frame = currentFrame();
    return frame ? frame.currency : null;
  }

  function spanAt(spans, minute) {
    for (const span of spans || []) {
      if (span.start_minute <= minute && minute < span.end_minute) return span;
    }
    return null;
  }

  function trendTooltip(params) {
    if (!params.length) return '';
    const minute = params[0].value[0];
    const frame = currentFrame();
    const lines = [`<b>${esc(t('atMinute')(minute))}</b>`];
    for (const p of params) {
      const value = p.seriesId === 'gmv' ? fmtMoney(p.value[1] * 100, currentCurrency()) : fmtCount(p.value[1]);
      lines.push(`${p.marker}${esc(p.seriesName)}: <b>${esc(value)}</b>`);
    }
    if (frame) {
      const persona = spanAt(frame.personas, minute);
      const promo = spanAt(frame.promos, minute);
      if (persona) lines.push(`${esc(t('persona'))}: ${esc(persona.name)}`);
      if (promo) lines.push(`${esc(t('promo'))}: ${esc(promo.name)}`);
    }
    return lines.join('<br>');
  }

  function funnelLabel(p) {
    const head = `${p.name}  ${fmtCount(p.value)}`;
    return p.data.rate === null ? head : `${head}\n${t('ofPrevious')} ${fmtPct(p.data.rate)}`;
  }

  function funnelTooltip(p) {
    const rate = p.data.rate === null ? '' : `<br>${esc(t('ofPrevious'))} ${esc(fmtPct(p.data.rate))}`;
    return `${p.marker}${esc(p.name)}: <b>${esc(fmtCount(p.value))}</b>${rate}`;
  }

  function productTooltip(p) {
    const row = p.data;
    const currency = currentCurrency();
    return [
      `<b>${esc(row.name)}</b>`,
      `GMV: <b>${esc(fmtMoney(row.gmv_minor, currency))}</b>`,
      `${esc(t('orders'))}: ${esc(fmtCount(row.orders))}`,
      `${esc(t('clicks'))}: ${esc(fmtCount(row.clicks))}`,
    ].join('<br>');
  }

  function concernArrow(row) {
    if (row.previous_share === null || row.previous_share === undefined) return 'fresh';
    const change = row.share - row.previous_share;
    if (change > 0.01) return 'up';
    if (change < -0.01) return 'down';
    return 'flat';
  }

  function concernLabel(p) {
    const arrow = p.data.arrow;
    const mark = { up: '↑', down: '↓', flat: '→', fresh: t('isNew') }[arrow];
    return `${fmtPct(p.data.value)}  {${arrow}|${mark}}`;
  }

  function concernTooltip(p) {
    const row = p.data.row;
    const before = row.previous_share === null ? '—' : fmtPct(row.previous_share);
    return [
      `<b>${esc(state.lang === 'zh' ? row.name_zh : row.name_en)}</b>`,
      `${esc(t('share'))}: <b>${esc(fmtPct(row.share))}</b> (${esc(t('previous'))} ${esc(before)})`,
      `${esc(t('count'))}: ${esc(fmtCount(row.count))}`,
    ].join('<br>');
  }

  // The timeline's items: [start, end, row] for ECharts, with names and colours kept alongside.
  let timelineItems = [];

  function renderTimelineItem(params, api) {
    const item = timelineItems[params.dataIndex];
    if (!item) return null;
    const start = api.coord([api.value(0), api.value(2)]);
    const end = api.coord([api.value(1), api.value(2)]);
    const height = api.size([0, 1])[1] * 0.62;
    const box = params.coordSys;
    const shape = window.echarts.graphic.clipRectByRect(
      { x: start[0], y: start[1] - height / 2, width: end[0] - start[0] - 1, height },
      { x: box.x, y: box.y, width: box.width, height: box.height },
    );
    if (!shape) return null;
    const children = [
      {
        type: 'rect',
        shape: { ...shape, r: 3 },
        style: { fill: item.fill, stroke: item.stroke, lineWidth: item.stroke ? 1 : 0 },
        textContent: {
          style: {
            text: shape.width > 18 ? item.name : '',
            fill: item.textColor,
            font: `500 12px ${FONT}`,
            width: Math.max(shape.width - 8, 0),
            overflow: 'truncate',
          },
        },
        textConfig: { position: 'inside' },
      },
    ];
    if (item.row === 1 && start[0] >= box.x) {
      children.push({
        type: 'line',
        shape: { x1: start[0], y1: box.y, x2: start[0], y2: box.y + box.height },
        style: { stroke: COLOR.gmv, lineWidth: 1.5, lineDash: [4, 3] },
        silent: true,
      });
    }
    return { type: 'group', children };
  }

  function timelineTooltip(p) {
    const item = timelineItems[p.dataIndex];
    if (!item) return '';
    const label = item.row === 0 ? t('persona') : t('promo');
    const range = `${t('minuteAxis')(item.start)} – ${t('minuteAxis')(item.end)}`;
    return `${esc(label)}: <b>${esc(item.name)}</b><br>${esc(range)}`;
  }

  // -- rendering a frame ---------------------------------------------------------------------

  function personaColors(frame) {
    const colors = new Map();
    for (const span of frame.personas || []) {
      if (!colors.has(span.id)) colors.set(span.id, PERSONA_COLORS[colors.size % PERSONA_COLORS.length]);
    }
    return colors;
  }

  function renderHeader(frame) {
    setText('room', `${frame.platform} · ${frame.room_id} · ${frame.session_id}`);
    setText('clock-minute', t('minutes')(frame.minute));
    const at = new Date(frame.at);
    const clock = Number.isNaN(at.getTime())
      ? ''
      : at.toLocaleTimeString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
    setText('clock-at', clock);
  }

  function renderKpis(frame) {
    const { curves, currency } = frame;
    const online = curves.online || [];
    setText('kpi-online', fmtCount(frame.online));
    const previous = online.length >= 2 ? online[online.length - 2] : null;
    setDelta('kpi-online-sub', t('vsLastMinute'), previous === null ? null : frame.online - previous);

    setText('kpi-peak', fmtCount(frame.peak_online));
    const peakAt = online.indexOf(frame.peak_online);
    setText('kpi-peak-sub', peakAt >= 0 ? t('atMinute')(curves.first_minute + peakAt) : '');

    setText('kpi-unique', fmtCount(frame.unique_viewers));
    setText('kpi-unique-sub', `${t('likes')} ${fmtCount(frame.likes)}`);

    setText('kpi-comments', fmtCount(frame.comments_last_minute));
    setText('kpi-comments-sub', `${t('total')} ${fmtCount(frame.comments)}`);

    setText('kpi-gmv-minute', fmtMoney(frame.gmv_last_minute_minor, currency));
    setText('kpi-gmv-minute-sub', frame.minute >= 1 ? t('lastFullMinute')(frame.minute - 1) : '');

    setText('kpi-orders', fmtCount(frame.orders));
    const funnel = frame.funnel;
    setText(
      'kpi-orders-sub',
      funnel && funnel.entered ? `${t('conversion')} ${fmtPct(funnel.ordered / funnel.entered)}` : '',
    );

    setText('kpi-gmv', fmtMoney(frame.gmv_minor, currency));
    setText('kpi-gmv-sub', frame.orders ? `${t('avgOrder')} ${fmtMoney(frame.gmv_minor / frame.orders, currency)}` : '');
  }

  function renderTrend(frame, colors) {
    const { curves } = frame;
    const first = curves.first_minute;
    const closed = Math.max(0, (curves.online || []).length - 1); // the last point is the open minute
    const minX = first;
    const maxX = Math.max(frame.minute + 1, first + 1); // the open minute runs to minute + 1
    const clip = (span) => [Math.max(span.start_minute, minX), Math.min(span.end_minute, maxX)];
    const personaAreas = [];
    for (const span of frame.personas || []) {
      const [start, end] = clip(span);
      if (end <= start) continue;
      const color = colors.get(span.id);
      personaAreas.push([
        {
          name: span.name,
          xAxis: start,
          itemStyle: { color: withAlpha(color, 0.1), borderColor: withAlpha(color, 0.25), borderWidth: 0 },
          label: { color },
        },
        { xAxis: end },
      ]);
    }
    const promoAreas = [];
    const promoLines = [];
    for (const span of frame.promos || []) {
      const [start, end] = clip(span);
      if (end <= start) continue;
      promoAreas.push([{ name: `${t('promo')} · ${span.name}`, xAxis: start }, { xAxis: end }]);
      if (span.start_minute >= minX) promoLines.push({ xAxis: span.start_minute });
    }
    const points = (values, count, scale) =>
      values.slice(0, count).map((v, i) => [first + i, scale ? v / scale : v]);
    charts.trend.setOption({
      xAxis: { min: minX, max: maxX },
      series: [
        {
          id: 'online',
          name: t('seriesOnline'),
          data: points(curves.online || [], (curves.online || []).length, 0),
          markArea: { data: personaAreas },
        },
        {
          id: 'comments',
          name: t('seriesComments'),
          data: points(curves.comments || [], closed, 0),
          markArea: { data: promoAreas },
        },
        {
          id: 'gmv',
          name: t('seriesGmv'),
          data: points(curves.gmv_minor || [], closed, 100),
          markLine: { data: promoLines },
        },
      ],
    });
  }

  function renderFunnel(frame) {
    const funnel = frame.funnel;
    $('funnel-empty').hidden = Boolean(funnel);
    $('chart-funnel').hidden = !funnel;
    if (!funnel) {
      charts.funnel.setOption({ series: [{ id: 'funnel', data: [] }] });
      return;
    }
    const stages = [
      ['stageEntered', funnel.entered],
      ['stageClicked', funnel.clicked],
      ['stageCarted', funnel.carted],
      ['stageOrdered', funnel.ordered],
    ];
    charts.funnel.setOption({
      series: [
        {
          id: 'funnel',
          max: Math.max(funnel.entered, 1),
          data: stages.map(([key, value], i) => ({
            name: t(key),
            value,
            rate: i === 0 ? null : stages[i - 1][1] ? value / stages[i - 1][1] : 0,
            itemStyle: { color: FUNNEL_COLORS[i] },
          })),
        },
      ],
    });
  }

  function renderProducts(frame) {
    const products = frame.products || [];
    $('products-empty').hidden = products.length > 0;
    $('chart-products').hidden = products.length === 0;
    charts.products.setOption({
      yAxis: { data: products.map((p, i) => `${i + 1}  ${p.name}`) },
      series: [
        {
          id: 'products',
          data: products.map((p) => ({ value: p.gmv_minor / 100, ...p })),
        },
      ],
    });
  }

  function renderHotWords(frame) {
    const words = frame.hot_words || [];
    const key = `${state.lang}|${words.map((w) => `${w.word}:${w.count}`).join('|')}`;
    $('hotwords-empty').hidden = words.length > 0;
    if (key === state.hotWordsKey) return;
    state.hotWordsKey = key;
    const list = $('hotwords');
    const max = Math.max(1, ...words.map((w) => w.count));
    const min = Math.min(max, ...words.map((w) => w.count));
    const items = words.map((w, i) => {
      const li = document.createElement('li');
      const weight = max === min ? 1 : (w.count - min) / (max - min);
      li.style.fontSize = `${Math.round(16 + weight * 22)}px`;
      li.title = `${w.word}: ${w.count} (×${w.lift.toFixed(1)})`;
      const word = document.createElement('span');
      word.className = 'word';
      word.style.color = HOTWORD_COLORS[i % HOTWORD_COLORS.length];
      word.textContent = w.word;
      const count = document.createElement('span');
      count.className = 'count';
      count.textContent = String(w.count);
      li.append(word, count);
      return li;
    });
    list.replaceChildren(...items);
  }

  function renderConcerns(frame) {
    const rows = frame.concerns || [];
    $('concerns-empty').hidden = rows.length > 0;
    $('chart-concerns').hidden = rows.length === 0;
    setText('concerns-basis', t(frame.concern_basis === 'questions' ? 'basisQuestions' : 'basisComments'));
    charts.concerns.setOption({
      grid: { left: state.lang === 'zh' ? 104 : 150 },
      yAxis: { data: rows.map((r) => (state.lang === 'zh' ? r.name_zh : r.name_en)) },
      series: [
        {
          id: 'concerns',
          data: rows.map((r) => ({ value: r.share, arrow: concernArrow(r), row: r })),
        },
      ],
    });
  }

  function renderTimeline(frame, colors) {
    const first = frame.curves.first_minute;
    const maxX = Math.max(frame.minute + 1, first + 1);
    const items = [];
    for (const span of frame.personas || []) {
      if (span.end_minute <= first) continue;
      const color = colors.get(span.id);
      items.push({
        row: 0,
        start: span.start_minute,
        end: span.end_minute,
        name: span.name,
        fill: withAlpha(color, 0.55),
        stroke: null,
        textColor: '#fff',
      });
    }
    for (const span of frame.promos || []) {
      if (span.end_minute <= first) continue;
      items.push({
        row: 1,
        start: span.start_minute,
        end: span.end_minute,
        name: span.name,
        fill: withAlpha(COLOR.gmv, 0.22),
        stroke: COLOR.gmv,
        textColor: COLOR.gmv,
      });
    }
    timelineItems = items;
    charts.timeline.setOption({
      xAxis: { min: first, max: maxX },
      yAxis: { data: [t('persona'), t('promo')] },
      series: [{ id: 'timeline', data: items.map((it) => [it.start, it.end, it.row]) }],
    });
  }

  function insightKey(entry) {
    return `${entry.insight.kind}|${entry.insight.subject}`;
  }

  function newInsightNode() {
    const li = document.createElement('li');
    const head = document.createElement('div');
    head.className = 'insight-head';
    const kind = document.createElement('span');
    kind.className = 'insight-kind';
    const minute = document.createElement('span');
    minute.className = 'insight-minute';
    head.append(kind, minute);
    const text = document.createElement('p');
    text.className = 'insight-text';
    li.append(head, text);
    return li;
  }

  function renderInsights(frame, firstOfSession) {
    const entries = frame.insights || [];
    const list = $('insights');
    const kinds = t('kinds');
    const keys = entries.map(insightKey);
    const keep = new Set(keys);
    for (const [key, li] of [...state.insightNodes]) {
      if (!keep.has(key)) {
        li.remove();
        state.insightNodes.delete(key);
      }
    }
    entries.forEach((entry, position) => {
      const key = keys[position];
      let li = state.insightNodes.get(key);
      if (!li) {
        li = newInsightNode();
        state.insightNodes.set(key, li);
        if (!firstOfSession) {
          const fresh = li;
          fresh.classList.add('fresh');
          window.setTimeout(() => fresh.classList.remove('fresh'), FRESH_MS);
        }
      }
      const { insight } = entry;
      li.dataset.kind = insight.kind;
      setNodeText(li.querySelector('.insight-kind'), kinds[insight.kind] || insight.kind);
      setNodeText(li.querySelector('.insight-minute'), t('since')(entry.first_minute));
      const text = state.lang === 'zh' ? insight.text_zh : insight.text_en;
      setNodeText(li.querySelector('.insight-text'), text || insight.text_zh || insight.text_en || '');
      // Frame order, newest first; a node moves only when out of place (a move restarts its
      // arrival animation).
      if (list.children[position] !== li) list.insertBefore(li, list.children[position] || null);
    });
    $('insights-empty').hidden = entries.length > 0;
    setText('insights-count', entries.length ? t('insightsCount')(entries.length) : '');
  }

  // -- demand nowcast: the top products' GMV and orders over the next 15 minutes ---------------

  const NOWCAST_HORIZON = 15; // minutes: the horizon the panel shows (the frame carries 5/15/30)

  function fmtOrders(n) {
    return n >= 10 ? fmtCount(n) : trimZeros(n.toFixed(1));
  }

  function renderNowcasts(frame, firstOfSession) {
    const nowcasts = frame.nowcasts;
    const rows = nowcasts ? nowcasts.products : [];
    const currency = frame.currency;
    syncRows('nowcasts', rows, (row) => row.product_id, () => {
      const li = el('li');
      const head = el('div', 'nowcast-head');
      head.append(el('span', 'nowcast-name'), el('strong', 'nowcast-gmv'));
      const sub = el('div', 'nowcast-sub');
      sub.append(el('span', 'nowcast-orders'), el('span', 'nowcast-range'));
      li.append(head, sub);
      return li;
    }, (li, row) => {
      const next = row.horizons.find((h) => h.horizon_minutes === NOWCAST_HORIZON) || row.horizons[0];
      const { gmv_minor: gmv, orders } = next;
      setNodeText(li.querySelector('.nowcast-name'), row.name);
      li.querySelector('.nowcast-name').title = row.name;
      setNodeText(li.querySelector('.nowcast-gmv'), fmtMoney(gmv.point, currency));
      setNodeText(li.querySelector('.nowcast-range'), `${fmtMoney(gmv.lo80, currency)} – ${fmtMoney(gmv.hi80, currency)}`);
      setNodeText(
        li.querySelector('.nowcast-orders'),
        t('nowcastOrders')(fmtOrders(orders.point), fmtCount(orders.lo80), fmtCount(orders.hi80)),
      );
    }, firstOfSession);
    $('nowcasts-empty').hidden = rows.length > 0;
    setText('nowcast-note', nowcasts ? t('nowcastNote') : '');
    $('nowcast-note').title = nowcasts ? t('nowcastFrom')(nowcasts.from_minute) : '';
  }

  // -- decision panels: alerts, recommendations, Q&A -----------------------------------------

  /** Keyed rows: a row keeps its node (and an opened evidence list) from frame to frame. */
  function syncRows(listId, items, keyOf, build, update, firstOfSession) {
    const list = $(listId);
    let nodes = state.rowNodes.get(listId);
    if (!nodes) {
      nodes = new Map();
      state.rowNodes.set(listId, nodes);
    }
    const keep = new Set();
    items.forEach((item, position) => {
      const key = keyOf(item);
      keep.add(key);
      let li = nodes.get(key);
      if (!li) {
        li = build(item);
        li.dataset.key = key;
        nodes.set(key, li);
        if (!firstOfSession) li.classList.add('fresh');
      }
      update(li, item);
      if (list.children[position] !== li) list.insertBefore(li, list.children[position] || null);
    });
    for (const [key, li] of [...nodes]) {
      if (!keep.has(key)) {
        li.remove();
        nodes.delete(key);
      }
    }
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function rowSkeleton() {
    const li = document.createElement('li');
    const head = el('div', 'row-head');
    head.append(el('span', 'row-tag'), el('span', 'row-meta'));
    li.append(head, el('p', 'row-text'), el('p', 'row-sub'));
    return li;
  }

  let toastTimer = 0;
  function toast(message) {
    const box = $('toast');
    box.textContent = message;
    box.hidden = false;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(() => {
      box.hidden = true;
    }, 5000);
  }

  /** POST an operator's decision; the push brings the new state, the answer shows it at once. */
  async function act(url, body, button, onDone) {
    button.disabled = true;
    try {
      const response = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body || {}),
      });
      const answer = await response.json().catch(() => null);
      if (!response.ok) {
        const message = answer && answer.error ? answer.error.message : `HTTP ${response.status}`;
        toast(response.status === 403 ? `${t('forbidden')}: ${message}` : `${t('actionFailed')}: ${message}`);
        button.disabled = false;
        return;
      }
      onDone(answer);
      scheduleRender();
    } catch (error) {
      toast(`${t('actionFailed')}: ${error}`);
      button.disabled = false;
    }
  }

  function renderAlerts(frame, firstOfSession) {
    const alerts = frame.alerts || [];
    syncRows('alerts', alerts, (row) => row.alert.alert_id, () => {
      const li = rowSkeleton();
      const actions = el('div', 'row-actions');
      const button = el('button', 'ack');
      button.type = 'button';
      actions.append(button);
      li.append(actions);
      button.addEventListener('click', () => {
        const id = li.dataset.key;
        act(`/api/alerts/${encodeURIComponent(id)}/ack`, null, button, (stored) => {
          const row = (currentFrame().alerts || []).find((a) => a.alert.alert_id === id);
          if (row) row.acked_by = stored.acked_by;
        });
      });
      return li;
    }, (li, row) => {
      const { alert } = row;
      li.dataset.direction = alert.direction;
      li.classList.toggle('acked', Boolean(row.acked_by));
      const metric = t('metricNames')[alert.metric] || alert.metric;
      setNodeText(li.querySelector('.row-tag'), `${metric} ${t(alert.direction)}`);
      setNodeText(li.querySelector('.row-meta'), `z ${alert.worst_z.toFixed(1)}`);
      setNodeText(li.querySelector('.row-text'), state.lang === 'zh' ? row.message_zh : row.message_en);
      setNodeText(li.querySelector('.row-sub'), row.acked_by ? t('acked')(row.acked_by) : '');
      const button = li.querySelector('button.ack');
      button.hidden = Boolean(row.acked_by);
      setNodeText(button, t('ack'));
    }, firstOfSession);
    $('alerts-empty').hidden = alerts.length > 0;
    const open = alerts.filter((a) => !a.acked_by).length;
    setText('alerts-note', open ? t('alertsOpen')(open) : '');
  }

  function fmtSigned(x) {
    return `${x >= 0 ? '+' : '−'}${(Math.abs(x) * 100).toFixed(1)}%`;
  }

  function upliftText(uplift) {
    if (uplift.value === null || uplift.value === undefined) return `${t('uplift')}${t('colon')}${t('unknown')}`;
    const range = uplift.low === null ? '' : ` [${fmtSigned(uplift.low)}, ${fmtSigned(uplift.high)}]`;
    const from = t(`upliftFrom_${uplift.source}`) ?? uplift.source;
    return `${t('uplift')} ${fmtSigned(uplift.value)}${range} ${t('upliftMetric')} (${from})`;
  }

  function evidenceLine(check, currency) {
    const ok = check.passed === undefined ? '' : ` · ${check.passed ? t('passed') : t('failed')}`;
    const value = (v) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : String(v));
    switch (check.check) {
      case 'condition':
        return `${t('checkCondition')}${t('colon')}${check.fact} ${check.op} ${value(check.value)} (${t('observed')} ${value(check.observed)})`;
      case 'licence':
        return `${t('checkLicence')}${t('colon')}${check.persona}${ok}`;
      case 'price':
        return `${t('checkPrice')}${t('colon')}${fmtMoney(check.price_minor, currency)} → ${fmtMoney(check.new_price_minor, currency)}`
          + ` (−${check.offered_percent}%, ≤ ${check.max_discount_percent}%, ${t('floorPrice')} ${fmtMoney(check.floor_price_minor, currency)})${ok}`;
      case 'uplift':
        return `${t('checkUplift')}${t('colon')}${check.basis}`;
      default:
        return JSON.stringify(check);
    }
  }

  /** The evidence chain in the screen's language: each item's zh / en sentence (the data, for
   *  an item recorded before the recommender worded them). */
  function renderWhy(why, evidence, currency) {
    setNodeText(why.querySelector('summary'), t('why'));
    const said = evidence.map((check) => (state.lang === 'zh' ? check.zh : check.en) || evidenceLine(check, currency));
    const key = `${state.lang}|${said.join('\n')}`;
    if (why.dataset.key === key) return;
    why.dataset.key = key;
    why.querySelector('ul').replaceChildren(
      ...said.map((text, i) => el('li', evidence[i].passed === false ? 'failed' : '', text)),
    );
  }

  function fmtClock(seconds) {
    const s = Math.max(0, Math.round(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  }

  function targetText(row) {
    const target = row.recommendation.target || {};
    const parts = [];
    if (row.product) parts.push(row.product);
    if (target.percent !== undefined) parts.push(`−${target.percent}%`);
    if (target.price_minor !== undefined) parts.push(fmtMoney(target.price_minor, currentCurrency()));
    if (row.persona) parts.push(row.persona);
    if (target.amount_minor !== undefined) parts.push(fmtMoney(target.amount_minor, currentCurrency()));
    return parts.join(' · ');
  }

  function renderRecommendations(frame, firstOfSession) {
    const rows = frame.recommendations || [];
    const level = frame.autonomy === 'auto' ? 'auto' : 'suggest';
    const badge = $('autonomy');
    badge.dataset.level = level;
    badge.dataset.i18n = level === 'auto' ? 'autonomyAuto' : 'autonomySuggest';
    setNodeText(badge, t(badge.dataset.i18n));
    const receivedAt = frame.receivedAt || Date.now();
    syncRows('recommendations', rows, (row) => row.recommendation.recommendation_id, () => {
      const li = rowSkeleton();
      const uplift = el('p', 'row-sub uplift');
      const actions = el('div', 'row-actions');
      const accept = el('button', 'accept');
      const reject = el('button', 'reject');
      accept.type = reject.type = 'button';
      actions.append(accept, reject, el('span', 'fate'), el('span', 'countdown'));
      const why = el('details', 'why');
      why.open = true; // the reasons in words, shown; the checks' data on expand below
      why.append(el('summary'), el('ul'));
      const evidence = el('details', 'evidence');
      evidence.append(el('summary'), el('ul'));
      li.append(uplift, why, actions, evidence);
      const decide = (fate, button) => {
        const id = li.dataset.key;
        act(`/api/recommendations/${encodeURIComponent(id)}/fate`, { fate }, button, (entry) => {
          const row = (currentFrame().recommendations || []).find(
            (r) => r.recommendation.recommendation_id === id,
          );
          if (row) Object.assign(row, { fate: entry.fate, fate_by: entry.fate_by, fate_at: entry.fate_at });
        });
      };
      accept.addEventListener('click', () => decide('accepted', accept));
      reject.addEventListener('click', () => decide('rejected', reject));
      return li;
    }, (li, row) => {
      const rec = row.recommendation;
      li.dataset.fate = row.fate;
      li.dataset.action = rec.action;
      setNodeText(li.querySelector('.row-tag'), t('actionNames')[rec.action] || rec.action);
      setNodeText(li.querySelector('.row-meta'), `${t('atMinute')(rec.minute)} · ${targetText(row)}`);
      setNodeText(li.querySelector('.row-text'), state.lang === 'zh' ? rec.text_zh : rec.text_en);
      const leftMin = Math.ceil((new Date(row.decide_by) - new Date(frame.at)) / 60000);
      setNodeText(
        li.querySelector('.row-sub:not(.uplift)'),
        row.fate === 'pending' && leftMin > 0 ? t('decideWithin')(leftMin) : '',
      );
      const uplift = li.querySelector('.uplift');
      uplift.classList.toggle('unknown', rec.expected_uplift.value === null);
      uplift.title = rec.expected_uplift.basis;
      setNodeText(uplift, upliftText(rec.expected_uplift));
      const pending = row.fate === 'pending';
      for (const button of li.querySelectorAll('.row-actions button')) {
        button.hidden = !pending;
        if (pending) button.disabled = false;
      }
      setNodeText(li.querySelector('button.accept'), t('accept'));
      setNodeText(li.querySelector('button.reject'), t('reject'));
      const by = row.fate_by && !pending ? ` · ${row.fate_by}` : '';
      setNodeText(li.querySelector('.fate'), pending ? '' : `${t('fates')[row.fate] || row.fate}${by}`);
      const countdown = li.querySelector('.countdown');
      countdown.dataset.endsAt = row.remaining_s === null ? '' : String(receivedAt + row.remaining_s * 1000);
      countdown.hidden = row.remaining_s === null;
      tickCountdown(countdown);
      renderWhy(li.querySelector('details.why'), rec.evidence, frame.currency);
      const evidence = li.querySelector('details.evidence');
      setNodeText(evidence.querySelector('summary'), `${t('evidence')} (${rec.evidence.length})`);
      const key = `${state.lang}|${JSON.stringify(rec.evidence)}`;
      if (evidence.dataset.key !== key) {
        evidence.dataset.key = key;
        evidence.querySelector('ul').replaceChildren(
          ...rec.evidence.map((check) => {
            const item = el('li', check.passed === false ? 'failed' : '', evidenceLine(check, frame.currency));
            return item;
          }),
        );
      }
    }, firstOfSession);
    $('recommendations-empty').hidden = rows.length > 0;
  }

  function tickCountdown(node) {
    const endsAt = Number(node.dataset.endsAt || 0);
    if (!endsAt) return;
    const left = (endsAt - Date.now()) / 1000;
    node.hidden = left <= 0;
    setNodeText(node, t('promoLeft')(fmtClock(left)));
  }

  function renderAnswers(frame, firstOfSession) {
    const rows = frame.answers || [];
    syncRows('answers', rows, (row) => row.answer_id, rowSkeleton, (li, row) => {
      const key = row.status === 'said' ? row.by || 'ai' : row.status;
      li.dataset.status = row.status;
      li.dataset.by = row.by || '';
      li.dataset.escalated = String(row.escalated);
      setNodeText(li.querySelector('.row-tag'), t('answerStates')[key] || key);
      const meta = [t('askers')(row.askers)];
      if (row.product) meta.push(row.product);
      setNodeText(li.querySelector('.row-meta'), meta.join(' · '));
      setNodeText(li.querySelector('.row-text'), row.text || row.question || '');
      const sub = row.text && row.question ? row.question : row.reason || '';
      setNodeText(li.querySelector('.row-sub'), sub);
    }, firstOfSession);
    $('answers-empty').hidden = rows.length > 0;
    const waiting = rows.filter((row) => row.escalated).length;
    setText('qa-note', waiting ? t('waitingHuman')(waiting) : '');
  }

  function render() {
    state.renderQueued = false;
    const frame = currentFrame();
    if (!frame) return;
    const firstOfSession = state.renderedSession !== frame.session_id;
    if (firstOfSession) {
      state.insightNodes.forEach((li) => li.remove());
      state.insightNodes.clear();
      state.rowNodes.forEach((nodes) => nodes.forEach((li) => li.remove()));
      state.rowNodes.clear();
      state.renderedSession = frame.session_id;
    }
    document.body.classList.add('has-data');
    const colors = personaColors(frame);
    renderHeader(frame);
    renderKpis(frame);
    renderTrend(frame, colors);
    renderFunnel(frame);
    renderProducts(frame);
    renderHotWords(frame);
    renderConcerns(frame);
    renderTimeline(frame, colors);
    renderInsights(frame, firstOfSession);
    renderNowcasts(frame, firstOfSession);
    renderAlerts(frame, firstOfSession);
    renderRecommendations(frame, firstOfSession);
    renderAnswers(frame, firstOfSession);
    // the charts paint in their own animation-frame callback, queued during this render: the
    // next callback runs after it
    window.requestAnimationFrame(() => {
      const drawn = window.livelens.drawn;
      drawn.push([frame.events, Date.now()]);
      if (drawn.length > DRAWN_KEPT) drawn.splice(0, drawn.length - DRAWN_KEPT);
    });
  }

  function scheduleRender() {
    if (state.renderQueued) return;
    state.renderQueued = true;
    window.requestAnimationFrame(render);
  }

  // -- language ------------------------------------------------------------------------------

  function applyLang() {
    document.documentElement.lang = state.lang;
    document.title = t('pageTitle');
    for (const el of document.querySelectorAll('[data-i18n]')) {
      const text = t(el.dataset.i18n);
      if (typeof text === 'string') el.textContent = text;
    }
    $('lang-toggle').textContent = state.lang === 'zh' ? 'EN' : '中';
    $('lang-toggle').setAttribute('aria-label', state.lang === 'zh' ? 'Switch to English' : '切换到中文');
    window.livelens.lang = state.lang;
    setConnection($('conn').dataset.state);
    state.hotWordsKey = '';
    state.pickerKey = '';
    updatePicker();
    render();
  }

  function toggleLang() {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    try {
      window.localStorage.setItem(LANG_KEY, state.lang);
    } catch (_error) {
      // not remembered where storage is unavailable; the switch still applies
    }
    applyLang();
  }

  // -- sessions and the push channel ---------------------------------------------------------

  function setConnection(connection) {
    const el = $('conn');
    el.dataset.state = connection;
    const key = { open: 'connOpen', closed: 'connClosed' }[connection] || 'connConnecting';
    const text = $('conn-text');
    text.dataset.i18n = key;
    text.textContent = t(key);
  }

  function remember(sessionId, entry) {
    state.sessions.set(sessionId, { ...state.sessions.get(sessionId), ...entry });
    if (state.sessions.size <= MAX_SESSIONS) return;
    let oldest = null;
    for (const [id, value] of state.sessions) {
      if (id === state.shown || id === state.pinned) continue;
      if (!oldest || (value.receivedAt || 0) < (state.sessions.get(oldest).receivedAt || 0)) oldest = id;
    }
    if (oldest) state.sessions.delete(oldest);
  }

  function chooseSession() {
    if (state.pinned) {
      state.shown = state.pinned;
    } else {
      const shown = state.shown ? state.sessions.get(state.shown) : null;
      let latest = null;
      for (const [id, entry] of state.sessions) {
        if (!entry.frame) continue;
        if (!latest || entry.receivedAt > state.sessions.get(latest).receivedAt) latest = id;
      }
      const quiet = !shown || !shown.frame || Date.now() - shown.receivedAt > STALE_MS;
      if (latest && quiet) state.shown = latest;
    }
    window.livelens.session = state.shown;
  }

  function updatePicker() {
    const ids = [...state.sessions.keys()];
    if (state.pinned && !state.sessions.has(state.pinned)) ids.unshift(state.pinned);
    const key = `${state.lang}|${state.pinned}|${ids.join('|')}`;
    if (key === state.pickerKey) return;
    state.pickerKey = key;
    const select = $('session-picker');
    const options = [new Option(t('auto'), '')];
    for (const id of ids) {
      const room = (state.sessions.get(id) || {}).room;
      options.push(new Option(room ? `${id} · ${room}` : id, id)); // Option() sets text, not markup
    }
    select.replaceChildren(...options);
    select.value = state.pinned || '';
    $('picker-wrap').hidden = ids.length < 2;
  }

  function onFrame(event) {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch (_error) {
      return; // not a frame; the next one replaces it anyway
    }
    if (!frame || typeof frame.session_id !== 'string') return;
    frame.receivedAt = Date.now(); // countdowns run from the frame's arrival on this clock
    window.livelens.framesReceived += 1;
    window.livelens.lastFrame = frame;
    document.body.dataset.frames = String(window.livelens.framesReceived);
    const known = state.sessions.has(frame.session_id);
    if (!state.shown && !state.pinned) state.shown = frame.session_id; // the stream sends the latest first
    remember(frame.session_id, { frame, receivedAt: Date.now(), room: frame.room_id });
    if (!known) updatePicker();
    chooseSession();
    if (frame.session_id === state.shown) scheduleRender();
  }

  function connect() {
    if (state.source) state.source.close();
    const url = '/api/stream' + (state.pinned ? `?session=${encodeURIComponent(state.pinned)}` : '');
    const source = new EventSource(url);
    source.addEventListener('frame', onFrame);
    source.addEventListener('open', () => setConnection('open'));
    source.addEventListener('error', () => {
      setConnection(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting');
    });
    state.source = source;
    setConnection('connecting');
  }

  async function loadSessions() {
    try {
      const response = await fetch('/api/sessions', { credentials: 'same-origin' });
      if (!response.ok) return;
      const rows = await response.json();
      for (const row of rows.slice(0, MAX_SESSIONS)) {
        if (!state.sessions.has(row.session_id)) {
          remember(row.session_id, { frame: null, receivedAt: 0, room: row.room_id });
        }
      }
      updatePicker();
    } catch (_error) {
      // the list is a convenience: frames name their sessions as they arrive
    }
  }

  function onPick() {
    const value = $('session-picker').value;
    state.pinned = value || null;
    state.shown = state.pinned;
    const url = new URL(window.location.href);
    if (state.pinned) url.searchParams.set('session', state.pinned);
    else url.searchParams.delete('session');
    window.history.replaceState(null, '', url);
    state.pickerKey = '';
    updatePicker();
    connect();
    chooseSession();
    scheduleRender();
  }

  function start() {
    if (!window.echarts) {
      setText('waiting', 'ECharts failed to load (/assets/echarts.min.js)');
      return;
    }
    initCharts();
    $('lang-toggle').addEventListener('click', toggleLang);
    $('session-picker').addEventListener('change', onPick);
    applyLang();
    connect();
    loadSessions();
    window.setInterval(() => document.querySelectorAll('.countdown').forEach(tickCountdown), 1000);
  }

  start();
})();

import { RATING_LABELS, RATINGS } from '#shared';
import type { Rating } from '#shared';

/** The web rating pages: plain HTML, inline CSS, no script; every interpolated value is escaped. */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Headers of every page: no caching (one-time links), no referrer (the token is in the URL), nothing external. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

const STYLE = `
  body{margin:0;font:16px/1.6 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f4f6f8;color:#1f2933}
  main{max-width:28rem;margin:0 auto;padding:1.5rem 1rem}
  h1{font-size:1.25rem;margin:0 0 .75rem}
  .card{background:#fff;border-radius:12px;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
  .case{color:#52606d;margin:0 0 1rem}
  button{display:block;width:100%;margin:.5rem 0;padding:.85rem;font-size:1.1rem;border:0;border-radius:8px;color:#fff;cursor:pointer}
  .satisfied{background:#2f855a}.basically_satisfied{background:#2b6cb0}.dissatisfied{background:#c05621}
  textarea{width:100%;box-sizing:border-box;min-height:4.5rem;font:inherit;padding:.5rem;border:1px solid #cbd2d9;border-radius:8px}
  label{display:block;margin:.75rem 0 .25rem;color:#52606d}
  .error{color:#c53030;margin:.5rem 0}
  footer{color:#9aa5b1;font-size:.8rem;text-align:center;margin-top:1rem}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow"><title>${escapeHtml(title)} · 供热直通车</title><style>${STYLE}</style></head>
<body><main><div class="card">${body}</div><footer>供热直通车 · 辽宁省供热投诉直通平台</footer></main></body></html>`;
}

export const COMMENT_MAX_WEB_CHARS = 200;

/** The form; a later round (after a rectification) asks about the rectified result. */
export function ratingForm(caseNumber: string, error?: string, comment = '', round = 1): string {
  const buttons = RATINGS.map(
    (r: Rating) => `<button type="submit" name="rating" value="${r}" class="${r}">${escapeHtml(RATING_LABELS[r])}</button>`,
  ).join('');
  return page(
    round > 1 ? '整改后再次评价' : '办结评价',
    `<h1>${round > 1 ? '问题已整改，请再次评价' : '请评价本次供热问题的办理'}</h1>
<p class="case">工单 ${escapeHtml(caseNumber)}</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post">
<label for="comment">意见（选填，最多 ${COMMENT_MAX_WEB_CHARS} 字）</label>
<textarea id="comment" name="comment" maxlength="${COMMENT_MAX_WEB_CHARS}">${escapeHtml(comment)}</textarea>
${buttons}
</form>`,
  );
}

export function thanksPage(caseNumber: string, rating: Rating): string {
  return page('感谢评价', `<h1>感谢您的评价</h1><p class="case">工单 ${escapeHtml(caseNumber)}：${escapeHtml(RATING_LABELS[rating])}</p><p>您的意见已记录。</p>`);
}

export function alreadyRatedPage(caseNumber: string, rating: Rating | null): string {
  return page(
    '已评价',
    `<h1>该工单已评价</h1><p class="case">工单 ${escapeHtml(caseNumber)}${rating ? `：${escapeHtml(RATING_LABELS[rating])}` : ''}</p><p>每次评价只能提交一次，此链接已失效。感谢您的反馈。</p>`,
  );
}

export function closedPage(caseNumber: string): string {
  return page('评价已截止', `<h1>评价已截止</h1><p class="case">工单 ${escapeHtml(caseNumber)}</p><p>该工单的评价期已结束，此链接已失效。如仍有供热问题，请拨打供热服务热线或重新反映。</p>`);
}

export function notFoundPage(): string {
  return page('链接无效', '<h1>链接无效</h1><p>未找到该评价链接，请核对短信中的网址是否完整。</p>');
}

export function unavailablePage(): string {
  return page('暂时无法评价', '<h1>系统繁忙</h1><p>暂时无法处理您的评价，请稍后再试，或直接回复短信数字评价。</p>');
}

/** Survey SMS wording (Chinese, for residents). */
export function surveyInvitation(caseNumber: string): string {
  return `【供热直通车】您反映的供热问题（工单${caseNumber}）已办结，请回复数字评价：1满意 2基本满意 3不满意。回复退订不再接收。`;
}
export function thanksForRating(caseNumber: string): string {
  return `【供热直通车】感谢您对工单${caseNumber}的评价。`;
}
export function replyNotUnderstood(): string {
  return '【供热直通车】未能识别您的回复，请回复数字：1满意 2基本满意 3不满意。';
}

/** How long a survey waits for a reply before it expires (unrated, never counted as satisfied). */
export const SURVEY_WINDOW_MS = 7 * 24 * 3600 * 1000;
